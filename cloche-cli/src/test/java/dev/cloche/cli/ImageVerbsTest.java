package dev.cloche.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.LayerProgress;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.wire.ImageJson;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cloche images}, {@code images prune}, {@code pull} and {@code create --image} against a stand-in daemon. */
class ImageVerbsTest {
    private static final Instant NOW = Instant.parse("2026-12-05T12:00:00Z");
    private static final ImageInfo BUSYBOX = new ImageInfo("sha256:" + "0123456789ab".repeat(5) + "0123", "docker:///busybox#1.36",
            2, 4_404_019, List.of("web", "db"), NOW.minus(Duration.ofMinutes(5)));
    private static final ImageInfo APP = new ImageInfo("sha256:" + "fe".repeat(32), "docker://127.0.0.1:5000/team/app#v2",
            5, 123_456_789, List.of("a", "b", "c", "d", "e"), NOW.minus(Duration.ofDays(3)));
    private static final ImageInfo IDLE = new ImageInfo("sha256:" + "aa".repeat(32), "oci:///srv/layout#base", 1, 512,
            List.of(), NOW.minusSeconds(10));
    private static final String LAYER = "sha256:" + "cd".repeat(32);

    @TempDir
    Path dir;
    private StandInGarden garden;

    record Run(int exit, String out, String err) {}

    @AfterEach
    void stop() throws Exception {
        if (garden != null) {
            garden.close();
        }
    }

    private void serve(Function<StandInGarden.Request, String> answer) throws Exception {
        garden = new StandInGarden(dir.resolve("garden.sock"), answer);
    }

    private Run cloche(String stdin, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        InputStream in = System.in;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            String[] all = new String[args.length + 2];
            all[0] = "--socket";
            all[1] = dir.resolve("garden.sock").toString();
            System.arraycopy(args, 0, all, 2, args.length);
            int rc = Cloche.run(all);
            return new Run(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
            System.setIn(in);
        }
    }

    @Test
    void theTableAlignsEveryColumnAndSaysWhatPeopleNeed() {
        assertThat(ImagesCommand.table(List.of(BUSYBOX, APP, IDLE), NOW)).isEqualTo("""
                REFERENCE                             ID             LAYERS   SIZE        CONTAINERS   LAST USED
                docker:///busybox#1.36                0123456789ab   2        4.2 MiB     web,db       5 minutes ago
                docker://127.0.0.1:5000/team/app#v2   fefefefefefe   5        117.7 MiB   a,b,c +2     3 days ago
                oci:///srv/layout#base                aaaaaaaaaaaa   1        512 B       -            just now
                """);
        assertThat(ImagesCommand.table(List.of(), NOW)).isEqualTo("REFERENCE   ID   LAYERS   SIZE   CONTAINERS   LAST USED\n");
        assertThat(ImagesCommand.ago(NOW.minus(Duration.ofHours(1)), NOW)).isEqualTo("1 hour ago");
        assertThat(ImagesCommand.ago(Instant.EPOCH, NOW)).isEqualTo("never");
    }

    @Test
    void imagesPrintsTheTableOrTheDaemonsJson() throws Exception {
        String json = ImageJson.encodeImages(List.of(BUSYBOX, IDLE));
        serve(r -> StandInGarden.json(json));
        Run table = cloche("", "images");
        assertThat(table.exit()).isZero();
        assertThat(table.out()).startsWith("REFERENCE ").contains("docker:///busybox#1.36").contains("oci:///srv/layout#base");
        assertThat(garden.requests()).extracting(StandInGarden.Request::method, StandInGarden.Request::path)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("GET", "/images"));

        Run asJson = cloche("", "images", "--json");
        assertThat(asJson.out()).isEqualTo(json);
        assertThat(ImageJson.decodeImages(asJson.out())).containsExactly(BUSYBOX, IDLE);
    }

    @Test
    void prunePrintsWhatWasRemoved() throws Exception {
        serve(r -> StandInGarden.json(ImageJson.encodePruneReport(new ImagePruneReport(2, 1, 3 << 20))));
        Run run = cloche("", "images", "prune");
        assertThat(run.exit()).isZero();
        assertThat(run.out()).isEqualTo("removed 2 images, 1 layer, 3.0 MiB\n");
        assertThat(garden.requests().getFirst().method() + " " + garden.requests().getFirst().path()).isEqualTo("POST /images/prune");
        assertThat(ImagesPruneCommand.render(ImagePruneReport.NONE)).isEqualTo("nothing to remove: no cached image is unused");
    }

    private static List<String> progressThen(String last) {
        LayerProgress p = LayerProgress.started(LAYER, 2048);
        return List.of(ImageJson.encodeProgress(p), ImageJson.encodeProgress(p.at(1024)),
                ImageJson.encodeProgress(p.at(2048).finished()), last);
    }

    @Test
    void pullSendsTheCredentialsInTheBodyAndPrintsPlainLinesWhenNotOnATerminal() throws Exception {
        serve(r -> StandInGarden.records(progressThen(ImageJson.encodePulled(BUSYBOX))));
        Run run = cloche("s3cret\n", "pull", "docker:///busybox#1.36", "--username", "me", "--password-stdin");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).startsWith("cdcdcdcdcdcd: downloading 2.0 KiB\ncdcdcdcdcdcd: done 2.0 KiB in ")
                .endsWith("pulled docker:///busybox#1.36 (0123456789ab, 2 layers, 4.2 MiB)\n")
                .doesNotContain("\u001b[");
        StandInGarden.Request r = garden.requests().getFirst();
        assertThat(r.method() + " " + r.path()).isEqualTo("POST /images/pull");
        assertThat(ImageJson.decodePullRequest(r.body())).isEqualTo(new dev.cloche.api.ImageRef("docker:///busybox#1.36", "me", "s3cret"));
    }

    @Test
    void aPullThatFailsMidwayExitsOneWithTheDaemonsMessage() throws Exception {
        serve(r -> StandInGarden.records(progressThen(ImageJson.encodeFailed(new ServiceUnavailableException("registry went away")))));
        Run run = cloche("", "pull", "docker:///busybox#1.36");
        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.out()).contains("cdcdcdcdcdcd: downloading");
        assertThat(run.err()).isEqualTo("cloche: registry went away\n");
    }

    @Test
    void passwordStdinNeedsAUserName() throws Exception {
        serve(r -> StandInGarden.json("{}\n"));
        Run run = cloche("pw\n", "pull", "docker:///a", "--password-stdin");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--password-stdin needs --username");
        assertThat(garden.requests()).isEmpty();
    }

    @Test
    void createWithAnImagePullsFirstThenCreatesFromIt() throws Exception {
        serve(r -> r.path().equals("/images/pull") ? StandInGarden.records(progressThen(ImageJson.encodePulled(BUSYBOX)))
                : StandInGarden.json("{\"handle\":\"made\"}\n"));
        Run run = cloche("", "create", "--image", "docker:///busybox#1.36", "--handle", "made");
        assertThat(run.exit()).as(run.err()).isZero();
        // stdout is the handle alone, for $(cloche create ...); the pull's progress goes to stderr
        assertThat(run.out()).isEqualTo("made\n");
        assertThat(run.err()).contains("cdcdcdcdcdcd: downloading").contains("pulled docker:///busybox#1.36");
        assertThat(garden.requests()).extracting(StandInGarden.Request::path).containsExactly("/images/pull", "/containers");
        assertThat(garden.requests().get(1).body()).contains("\"image\":{\"uri\":\"docker:///busybox#1.36\"}");
    }

    @Test
    void createRefusesAnImageAndARootfsTogether() throws Exception {
        serve(r -> StandInGarden.json("{}\n"));
        Run run = cloche("", "create", "--image", "docker:///a", "--rootfs", "/srv/root");
        assertThat(run.exit()).isEqualTo(2);
        assertThat(run.err()).contains("--image and --rootfs are exclusive");
        assertThat(garden.requests()).isEmpty();
    }

    @Test
    void badOptionValuesAreClearUsageErrorsNotStackTraces() throws Exception {
        serve(r -> StandInGarden.json("{}\n"));
        for (String[] args : List.of(new String[] {"create", "--memory", "bad"}, new String[] {"create", "--disk", "12Q"},
                new String[] {"create", "--grace-time", "soon"}, new String[] {"create", "--disk-scope", "all", "--disk", "1G"},
                new String[] {"create", "-v", "nocolon"})) {
            Run run = cloche("", args);
            assertThat(run.exit()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(run.err()).as(String.join(" ", args)).doesNotContain("Exception").doesNotContain("\tat ")
                    .containsAnyOf("not a size", "not a duration", "--disk-scope must be", "bind mount must be");
        }
        assertThat(cloche("", "create", "--memory", "bad").err()).contains("--memory").contains("not a size: bad");
        assertThat(garden.requests()).isEmpty();
    }
}
