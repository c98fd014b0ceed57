package dev.cloche.image.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.image.Descriptor;
import dev.cloche.image.ImageContent;
import dev.cloche.image.ImageReference;
import dev.cloche.image.ImageSource;
import dev.cloche.image.ResolvedImage;
import dev.cloche.image.manifest.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OciLayoutSourceTest {
    private static final ImageContent.Image ONE = ImageContent.image(List.of(ImageContent.tar(Map.of("one", "1"))), List.of("A=1"), "", "/");
    private static final ImageContent.Image TWO = ImageContent.image(
            List.of(ImageContent.tar(Map.of("two", "2")), ImageContent.tar(Map.of("three", "3"))), List.of("B=2"), "nobody", "/tmp");

    @TempDir
    Path dir;

    private void blob(ImageContent.Blob b) throws IOException {
        Path p = dir.resolve("blobs/sha256").resolve(b.digest().hex());
        Files.createDirectories(p.getParent());
        Files.write(p, b.bytes());
    }

    private void image(ImageContent.Image image) throws IOException {
        blob(image.manifest());
        blob(image.config());
        for (ImageContent.Blob l : image.layers()) blob(l);
    }

    private void layout(String... entries) throws IOException {
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        Files.writeString(dir.resolve("index.json"), "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX
                + "\",\"manifests\":[" + String.join(",", entries) + "]}");
    }

    private static String named(ImageContent.Blob manifest, String name) {
        return ImageContent.descriptorJson(manifest.mediaType(), manifest.digest(), manifest.bytes().length,
                ",\"annotations\":{\"org.opencontainers.image.ref.name\":\"" + name + "\"}");
    }

    private ImageSource source(String tag) {
        return new OciLayoutSource(new ImageReference.OciLayout(dir, tag));
    }

    @Test
    void picksTheEntryNamedByTheTagAndReadsVerifiedBlobs() throws IOException {
        image(ONE);
        image(TWO);
        layout(named(ONE.manifest(), "one"), named(TWO.manifest(), "two"));

        ResolvedImage resolved = source("two").resolve();

        assertThat(resolved.manifestDigest()).isEqualTo(TWO.manifest().digest());
        assertThat(resolved.diffIds()).isEqualTo(TWO.diffIds());
        assertThat(resolved.config().user()).isEqualTo("nobody");
        assertThat(resolved.reference()).isEqualTo("oci://" + dir + "#two");
        try (InputStream in = source("two").openBlob(resolved.layers().get(1))) {
            assertThat(in.readAllBytes()).isEqualTo(TWO.layers().get(1).bytes());
        }
    }

    @Test
    void noTagTakesTheOnlyImageAndOtherwiseListsTheNames() throws IOException {
        image(ONE);
        image(TWO);
        layout(named(ONE.manifest(), "one"));
        assertThat(source("").resolve().manifestDigest()).isEqualTo(ONE.manifest().digest());

        layout(named(ONE.manifest(), "one"), named(TWO.manifest(), "two"));
        assertThatThrownBy(() -> source("").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("#tag").hasMessageContaining("one, two");
        assertThatThrownBy(() -> source("three").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("no image named 'three' (it has: one, two)");
    }

    @Test
    void aNestedIndexPicksLinuxAmd64() throws IOException {
        ImageContent.Image arm = ImageContent.image(MediaTypes.OCI_MANIFEST, MediaTypes.OCI_CONFIG, MediaTypes.OCI_LAYER_GZIP,
                List.of(ImageContent.tar(Map.of("arm", "x"))), List.of(), "", "", "arm64");
        image(arm);
        image(ONE);
        java.util.Map<ImageContent.Blob, String> platforms = new java.util.LinkedHashMap<>();
        platforms.put(arm.manifest(), "linux/arm64");
        platforms.put(ONE.manifest(), "linux/amd64");
        ImageContent.Blob index = ImageContent.index(MediaTypes.OCI_INDEX, platforms);
        blob(index);
        layout(named(index, "multi"));

        assertThat(source("multi").resolve().manifestDigest()).isEqualTo(ONE.manifest().digest());
    }

    @Test
    void aCorruptedBlobFailsVerificationAndAMissingOneIsNamed() throws IOException {
        image(ONE);
        layout(named(ONE.manifest(), "one"));
        Descriptor layer = ONE.layers().getFirst().descriptor();
        byte[] corrupt = ONE.layers().getFirst().bytes().clone();
        corrupt[10] ^= 1;
        Files.write(dir.resolve("blobs/sha256").resolve(layer.digest().hex()), corrupt);
        try (InputStream in = source("one").openBlob(layer)) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(ImageSource.BlobVerificationException.class);
        }
        Files.delete(dir.resolve("blobs/sha256").resolve(layer.digest().hex()));
        assertThatThrownBy(() -> source("one").openBlob(layer)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("missing");

        Files.write(dir.resolve("blobs/sha256").resolve(ONE.config().digest().hex()), "{}".getBytes());
        assertThatThrownBy(() -> source("one").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(ONE.config().digest().toString());
    }

    @Test
    void aDirectoryThatIsNotALayoutIsRefused() throws IOException {
        assertThatThrownBy(() -> source("").resolve()).isInstanceOf(InvalidRequestException.class).hasMessageContaining("no oci-layout file");
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"2.0.0\"}");
        assertThatThrownBy(() -> source("").resolve()).hasMessageContaining("imageLayoutVersion '2.0.0'");
        Files.writeString(dir.resolve("oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
        assertThatThrownBy(() -> source("").resolve()).hasMessageContaining("index.json is missing");
        assertThatThrownBy(() -> new OciLayoutSource(new ImageReference.OciLayout(dir.resolve("absent"), "")).resolve())
                .hasMessageContaining("not a directory");
    }
}
