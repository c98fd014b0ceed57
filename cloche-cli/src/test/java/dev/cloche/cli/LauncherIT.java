package dev.cloche.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/cloche} as the user starts it, on the jars and the AOT cache this build packaged and trained (this runs
 * after {@code package}): through the cache, the CLI behaves as without it; a cache it cannot use (stale, truncated,
 * trained for other paths) or none at all never changes what it prints, only how fast it starts. Behaviour, not
 * timing: docs/benchmarks.md has the timings.
 */
class LauncherIT {
    static final Path REPO = Path.of(System.getProperty("cloche.repo", "..")).toAbsolutePath().normalize();
    static final Path TARGET = REPO.resolve("cloche-cli/target");

    @TempDir
    static Path dir;

    static ServerSocketChannel server;
    static Path socket;

    /** A stand-in Garden server that answers every request as the daemon answers /ping. */
    @BeforeAll
    static void serve() throws IOException {
        socket = dir.resolve("garden.sock");
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread.ofPlatform().daemon().start(() -> {
            while (server.isOpen()) {
                try (SocketChannel c = server.accept()) {
                    ByteBuffer in = ByteBuffer.allocate(8192);
                    while (!new String(in.array(), 0, in.position(), StandardCharsets.ISO_8859_1).contains("\r\n\r\n")
                            && c.read(in) >= 0) {
                        // the request head
                    }
                    c.write(ByteBuffer.wrap("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}\n"
                            .getBytes(StandardCharsets.ISO_8859_1)));
                } catch (IOException e) {
                    // closed at the end, or a client gone
                }
            }
        });
    }

    @AfterAll
    static void stop() throws IOException {
        server.close();
    }

    record Output(int exit, String stdout, String stderr) {}

    static Output cloche(Path launcher, String aot, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.remove("CLOCHE_SOCKET");
        env.remove("CLOCHE_TARGET");
        env.put("CLOCHE_AOT", aot);
        java.lang.Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Output(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    /** The same verbs through the build's cache (required: the JVM fails if it cannot use it) and without it. */
    @Test
    void theCacheStartsTheCliAsItStartsWithout() throws Exception {
        Path launcher = REPO.resolve("bin/cloche");
        assertThat(TARGET.resolve("cloche.aot")).exists();
        String absent = dir.resolve("absent.sock").toString();
        for (String aot : List.of("require", "auto", "off")) {
            assertThat(cloche(launcher, aot, "--socket", socket.toString(), "ping")).as(aot).isEqualTo(new Output(0, "ok\n", ""));
            assertThat(cloche(launcher, aot, "--socket", absent, "ping")).as(aot)
                    .isEqualTo(new Output(1, "", "cloche: cannot connect to " + absent + ": No such file or directory\n"));
            Output help = cloche(launcher, aot, "--help");
            assertThat(help.exit()).as(aot).isZero();
            assertThat(help.stdout()).as(aot).startsWith("Usage: cloche ").contains("\n  ping ").contains("\n  handle, portlayer ");
            assertThat(help.stderr()).as(aot).isEmpty();
        }
    }

    /**
     * A copy of the launcher and the build in another directory: the cache, newer than every jar there, was trained
     * for other paths, so the JVM refuses it; then truncated, then older than a jar (left out by the launcher), then
     * missing. Each time the CLI still pings, and nothing about the cache is printed.
     */
    @Test
    void aCacheThatCannotBeUsedIsLeftOutSilently() throws Exception {
        Path copy = dir.resolve("copy");
        Files.createDirectories(copy.resolve("bin"));
        Files.copy(REPO.resolve("bin/cloche"), copy.resolve("bin/cloche"), StandardCopyOption.COPY_ATTRIBUTES);
        Path target = copy.resolve("cloche-cli/target");
        Files.createDirectories(target.resolve("lib"));
        Files.copy(TARGET.resolve("cloche-cli-0.1.0-SNAPSHOT.jar"), target.resolve("cloche-cli-0.1.0-SNAPSHOT.jar"));
        try (Stream<Path> jars = Files.list(TARGET.resolve("lib"))) {
            for (Path jar : jars.toList()) {
                Files.copy(jar, target.resolve("lib").resolve(jar.getFileName()));
            }
        }
        Path cache = target.resolve("cloche.aot");
        Files.copy(TARGET.resolve("cloche.aot"), cache);
        Files.setLastModifiedTime(cache, FileTime.from(Instant.now().plusSeconds(60)));
        Path launcher = copy.resolve("bin/cloche");
        Output ok = new Output(0, "ok\n", "");

        assertThat(cloche(launcher, "auto", "--socket", socket.toString(), "ping")).as("foreign").isEqualTo(ok);
        assertThat(cloche(launcher, "require", "--socket", socket.toString(), "ping").exit()).as("foreign, required").isNotZero();

        byte[] whole = Files.readAllBytes(cache);
        Files.write(cache, java.util.Arrays.copyOf(whole, whole.length / 3));
        Files.setLastModifiedTime(cache, FileTime.from(Instant.now().plusSeconds(60)));
        assertThat(cloche(launcher, "auto", "--socket", socket.toString(), "ping")).as("truncated").isEqualTo(ok);

        Path aJar;
        try (Stream<Path> jars = Files.list(target.resolve("lib"))) {
            aJar = jars.findFirst().orElseThrow();
        }
        Files.setLastModifiedTime(aJar, FileTime.from(Instant.now().plusSeconds(120)));
        assertThat(cloche(launcher, "auto", "--socket", socket.toString(), "ping")).as("older than a jar").isEqualTo(ok);

        Files.delete(cache);
        assertThat(cloche(launcher, "auto", "--socket", socket.toString(), "ping")).as("missing").isEqualTo(ok);
    }
}
