package dev.cloche.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenException;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.LayerProgress;
import dev.cloche.api.ServiceUnavailableException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The image routes' table and JSON, byte for byte. */
class ImageJsonTest {
    private static final ImageInfo BUSYBOX = new ImageInfo("sha256:" + "ab".repeat(32), "docker:///busybox#1.36", 2,
            4_300_000, List.of("web", "db"), Instant.parse("2026-12-05T09:10:11.123Z"));

    @Test
    void routesMatchTheirOwnPathsAndMethodsOnly() {
        assertThat(ImageRoute.match("GET", "/images").route()).contains(ImageRoute.LIST);
        assertThat(ImageRoute.match("POST", "/images/prune").route()).contains(ImageRoute.PRUNE);
        assertThat(ImageRoute.match("POST", "/images/pull").route()).contains(ImageRoute.PULL);
        assertThat(ImageRoute.match("GET", "/images/pull")).isEqualTo(new ImageRoute.Match(Optional.empty(), Set.of("POST")));
        assertThat(ImageRoute.match("GET", "/images/nope")).isEqualTo(new ImageRoute.Match(Optional.empty(), Set.of()));
        assertThat(ImageRoute.handles("/images")).isTrue();
        assertThat(ImageRoute.handles("/images/pull")).isTrue();
        assertThat(ImageRoute.handles("/imagesx")).isFalse();
        assertThat(ImageRoute.handles("/containers")).isFalse();
        // no Garden route shares the prefix: the two tables cannot clash
        for (Route r : Route.values()) {
            assertThat(ImageRoute.handles(r.pattern())).as(r.name()).isFalse();
        }
    }

    @Test
    void imagesAreAnArrayOfObjectsWithSnakeCaseKeys() {
        String json = ImageJson.encodeImages(List.of(BUSYBOX));
        assertThat(json).isEqualTo("[{\"id\":\"sha256:" + "ab".repeat(32) + "\",\"reference\":\"docker:///busybox#1.36\","
                + "\"layers\":2,\"bytes\":4300000,\"holders\":[\"web\",\"db\"],\"last_used\":\"2026-12-05T09:10:11.123Z\"}]\n");
        assertThat(ImageJson.decodeImages(json)).containsExactly(BUSYBOX);
        assertThat(ImageJson.encodeImages(List.of())).isEqualTo("[]\n");
        assertThat(ImageJson.decodeImages("[]")).isEmpty();
        assertThat(ImageJson.decodeImages("null")).isEmpty();
    }

    @Test
    void decodingIsLenientAboutMissingKeysButNotAboutTypes() {
        assertThat(ImageJson.decodeImages("[{\"id\":\"x\",\"extra\":1}]"))
                .containsExactly(new ImageInfo("x", "", 0, 0, List.of(), Instant.EPOCH));
        assertThatThrownBy(() -> ImageJson.decodeImages("{\"id\":\"x\"}")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> ImageJson.decodeImages("[{\"layers\":\"two\"}]")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("layers");
        assertThatThrownBy(() -> ImageJson.decodeImages("[{\"bytes\":-1}]")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("bytes");
        assertThatThrownBy(() -> ImageJson.decodeImages("[{\"last_used\":\"yesterday\"}]"))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("last_used");
    }

    @Test
    void pruneReportRoundTrips() {
        ImagePruneReport r = new ImagePruneReport(3, 7, 123_456_789_012L);
        assertThat(ImageJson.encodePruneReport(r)).isEqualTo("{\"images\":3,\"layers\":7,\"bytes\":123456789012}\n");
        assertThat(ImageJson.decodePruneReport(ImageJson.encodePruneReport(r))).isEqualTo(r);
    }

    @Test
    void pullRequestCarriesTheCredentialsInTheBody() {
        ImageRef ref = new ImageRef("docker://127.0.0.1:5000/app#v1", "me", "s3cret\"");
        assertThat(ImageJson.encodePullRequest(ref))
                .isEqualTo("{\"uri\":\"docker://127.0.0.1:5000/app#v1\",\"username\":\"me\",\"password\":\"s3cret\\\"\"}\n");
        assertThat(ImageJson.decodePullRequest(ImageJson.encodePullRequest(ref))).isEqualTo(ref);
        assertThat(ImageJson.decodePullRequest("{\"uri\":\"oci:///l\"}")).isEqualTo(ImageRef.of("oci:///l"));
        assertThatThrownBy(() -> ImageJson.decodePullRequest("[1]")).isInstanceOf(InvalidRequestException.class);
        assertThatThrownBy(() -> ImageJson.decodePullRequest("{\"uri\":5}")).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void pullRecordsAreOneObjectPerLine() {
        LayerProgress p = new LayerProgress("sha256:aa", 1000, 250, false, false);
        String line = ImageJson.encodeProgress(p);
        assertThat(line).isEqualTo("{\"progress\":{\"digest\":\"sha256:aa\",\"size\":1000,\"bytes\":250,\"cached\":false,\"done\":false}}\n");
        assertThat(ImageJson.decodePullRecord(line)).isEqualTo(new ImageJson.Progress(p));
        assertThat(ImageJson.decodePullRecord(ImageJson.encodePulled(BUSYBOX))).isEqualTo(new ImageJson.Pulled(BUSYBOX));
        assertThat(ImageJson.encodePulled(BUSYBOX)).startsWith("{\"image\":{\"id\":").endsWith("}}\n");
    }

    @Test
    void aFailureRecordKeepsTheErrorsTypeAndKind() {
        String line = ImageJson.encodeFailed(new ServiceUnavailableException("registry 127.0.0.1:5000 went away"));
        assertThat(line).isEqualTo("{\"error\":{\"Type\":\"ServiceUnavailableError\",\"Message\":\"registry 127.0.0.1:5000"
                + " went away\",\"Handle\":\"\",\"ProcessID\":\"\",\"Binary\":\"\",\"Kind\":\"SERVICE_UNAVAILABLE\"}}\n");
        GardenException back = ((ImageJson.Failed) ImageJson.decodePullRecord(line)).error();
        assertThat(back).isInstanceOf(ServiceUnavailableException.class).hasMessage("registry 127.0.0.1:5000 went away");

        GardenException invalid = ((ImageJson.Failed) ImageJson.decodePullRecord(
                ImageJson.encodeFailed(new InvalidRequestException("digest mismatch")))).error();
        assertThat(invalid).isInstanceOf(InvalidRequestException.class).hasMessage("digest mismatch");
        assertThat(((ImageJson.Failed) ImageJson.decodePullRecord(ImageJson.encodeFailed(new ContainerNotFoundException("h"))))
                .error()).isInstanceOf(ContainerNotFoundException.class);
        // no kind: an internal error, never a guess
        assertThat(((ImageJson.Failed) ImageJson.decodePullRecord("{\"error\":{\"Message\":\"m\"}}")).error().kind())
                .isEqualTo(GardenException.Kind.INTERNAL);
    }

    @Test
    void aLineThatIsNoRecordIsAnInternalError() {
        for (String bad : List.of("nonsense", "{}", "{\"error\":\"text\"}", "[]", "{\"progress\":\"x\"}", "{\"progress\":{\"size\":-1}}")) {
            assertThatThrownBy(() -> ImageJson.decodePullRecord(bad)).as(bad).isInstanceOf(GardenException.class)
                    .extracting(e -> ((GardenException) e).kind()).isEqualTo(GardenException.Kind.INTERNAL);
        }
    }
}
