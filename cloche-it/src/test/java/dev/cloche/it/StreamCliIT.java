package dev.cloche.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code cloche stream-in} / {@code stream-out} against the real daemon (docs/files.md). */
class StreamCliIT {
    private static final String CGROUP_PARENT = "cloche-e2e-stream";
    private static DaemonProcess daemon;
    private static Path work;

    @BeforeAll
    static void startDaemon() throws IOException {
        daemon = DaemonProcess.start(CGROUP_PARENT);
        work = Files.createTempDirectory("cloche-stream-cli");
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon == null) return;
        try (GardenClient c = daemon.unixClient()) {
            for (Container left : c.containers(Map.of())) {
                try {
                    left.destroy();
                } catch (ContainerNotFoundException gone) {
                    // gone since the listing: nothing left to clean up
                }
            }
        } finally {
            daemon.close();
        }
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(daemon.depot.toString());
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path ctrl : controllers.toList()) assertThat(ctrl.resolve(CGROUP_PARENT)).doesNotExist();
        }
        daemon.removeFiles();
        try (Stream<Path> walk = Files.walk(work)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    record Output(int exit, byte[] stdout, String stderr) {
        String out() {
            return new String(stdout, StandardCharsets.UTF_8);
        }
    }

    private static Output cli(Path stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(DaemonProcess.REPO.resolve("bin/cloche").toString(), "--socket", daemon.socket.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        if (stdin != null) pb.redirectInput(stdin.toFile());
        java.lang.Process p = pb.start();
        if (stdin == null) p.getOutputStream().close();
        java.util.concurrent.CompletableFuture<byte[]> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Output(p.exitValue(), out, new String(err.get(), StandardCharsets.UTF_8));
    }

    private static String sh(Container c, String script) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = c.run(ProcessSpec.of("sh", "-c", script), ProcessIO.output(out, out)).await();
        assertThat(code).as(script + ": " + out).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    private static List<String> hostTar(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tar"));
        cmd.addAll(List.of(args));
        java.lang.Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out.lines().toList();
    }

    @Test
    void streamInAndOutThroughTheCli() throws Exception {
        Path site = Files.createDirectories(work.resolve("site/sub"));
        Files.writeString(site.resolve("index.html"), "<h1>hi</h1>");
        Files.setPosixFilePermissions(site.resolve("index.html"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.createSymbolicLink(site.resolve("link"), Path.of("/etc/hostname"));
        Files.getFileAttributeView(site.resolve("index.html"), java.nio.file.attribute.UserDefinedFileAttributeView.class)
                .write("origin", java.nio.ByteBuffer.wrap("host".getBytes(StandardCharsets.UTF_8)));
        Path tar = work.resolve("site.tar");
        hostTar("--xattrs", "--format=pax", "-C", work.resolve("site").toString(), "-cf", tar.toString(), ".");

        try (GardenClient client = daemon.unixClient()) {
            Container c = client.create(ContainerSpec.withHandle("e2e-stream"));
            // from stdin, to an absolute destination that does not exist yet
            Output in = cli(tar, "stream-in", "e2e-stream", "/srv/www");
            assertThat(in.exit()).as(in.stderr()).isZero();
            assertThat(sh(c, "cat /srv/www/sub/index.html; stat -c ' %a' /srv/www/sub/index.html; readlink /srv/www/sub/link"))
                    .isEqualTo("<h1>hi</h1> 750\n/etc/hostname\n");
            // from a file, relative to root's home
            assertThat(cli(null, "stream-in", "e2e-stream", "copy", "--file", tar.toString()).exit()).isZero();
            assertThat(sh(c, "cat /root/copy/sub/index.html")).isEqualTo("<h1>hi</h1>");

            Output contents = cli(null, "stream-out", "e2e-stream", "/srv/www/");
            assertThat(contents.exit()).as(contents.stderr()).isZero();
            Path out = work.resolve("out.tar");
            Files.write(out, contents.stdout());
            assertThat(hostTar("-tf", out.toString())).contains("./", "./sub/", "./sub/index.html", "./sub/link");
            assertThat(cli(null, "stream-out", "e2e-stream", "/srv/www", "-f", work.resolve("dir.tar").toString()).exit()).isZero();
            assertThat(hostTar("-tf", work.resolve("dir.tar").toString())).contains("www/", "www/sub/index.html");
            Path extracted = Files.createDirectories(work.resolve("extracted"));
            hostTar("--xattrs", "--xattrs-include=*", "-C", extracted.toString(), "-xf", work.resolve("dir.tar").toString());
            assertThat(Files.readString(extracted.resolve("www/sub/index.html"))).isEqualTo("<h1>hi</h1>");
            var attrs = Files.getFileAttributeView(extracted.resolve("www/sub/index.html"), java.nio.file.attribute.UserDefinedFileAttributeView.class);
            java.nio.ByteBuffer origin = java.nio.ByteBuffer.allocate(attrs.size("origin"));
            attrs.read("origin", origin);
            assertThat(new String(origin.array(), StandardCharsets.UTF_8)).as("user xattr round trip").isEqualTo("host");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(extracted.resolve("www/sub/index.html")))).isEqualTo("rwxr-x---");

            // a hostile archive is refused with a clear error and nothing lands on the host
            Path escape = work.resolve("escaped");
            Path hostile = work.resolve("hostile.tar");
            Files.writeString(work.resolve("evil"), "x");
            hostTar("-C", work.toString(), "-cf", hostile.toString(), "-P", "--transform", "s,^evil,../../../../../../../.." + escape + "/evil,", "evil");
            Output refused = cli(hostile, "stream-in", "e2e-stream", "/");
            assertThat(refused.exit()).isEqualTo(1);
            assertThat(refused.stderr()).contains("error streaming in").contains("contains '..'");
            assertThat(escape).doesNotExist();

            Output unknownUser = cli(tar, "stream-in", "e2e-stream", "x", "--user", "nobody-here");
            assertThat(unknownUser.exit()).isEqualTo(1);
            assertThat(unknownUser.stderr()).contains("error streaming in");

            Output missing = cli(null, "stream-out", "e2e-stream", "/no/such/file");
            assertThat(missing.exit()).isEqualTo(1);
            assertThat(missing.stderr()).contains("error streaming out");

            // a stopped container still streams
            assertThat(cli(null, "stop", "e2e-stream").exit()).isZero();
            assertThat(cli(tar, "stream-in", "e2e-stream", "/after-stop").exit()).isZero();
            Output afterStop = cli(null, "stream-out", "e2e-stream", "/after-stop/sub/index.html");
            assertThat(afterStop.exit()).as(afterStop.stderr()).isZero();
            Files.write(out, afterStop.stdout());
            assertThat(hostTar("-tf", out.toString())).containsExactly("index.html");
            c.destroy();
        }
    }
}
