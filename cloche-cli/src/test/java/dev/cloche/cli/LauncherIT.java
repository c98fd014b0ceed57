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
        return cloche(launcher, aot, null, args);
    }

    /** Runs the launcher; with a {@code jvmLog}, the JVM also logs there how it opened (or not) the cache. */
    static Output cloche(Path launcher, String aot, Path jvmLog, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.remove("CLOCHE_SOCKET");
        env.remove("CLOCHE_TARGET");
        env.remove("JDK_JAVA_OPTIONS");
        env.put("CLOCHE_AOT", aot);
        if (jvmLog != null) {
            env.put("JDK_JAVA_OPTIONS", "-Xlog:aot=info,class+path=info:file=" + jvmLog);
        }
        java.lang.Process p = pb.start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String stderr = new String(err, StandardCharsets.UTF_8);
        if (jvmLog != null) {
            stderr = stderr.replaceFirst("^NOTE: Picked up JDK_JAVA_OPTIONS: [^\n]*\n", "");
        }
        return new Output(p.exitValue(), new String(out, StandardCharsets.UTF_8), stderr);
    }

    /** The same verbs through the build's cache (required: the JVM fails if it cannot use it), by default, and without. */
    @Test
    void theCacheStartsTheCliAsItStartsWithout() throws Exception {
        Path launcher = REPO.resolve("bin/cloche");
        Path log = dir.resolve("jvm.log");
        assertThat(cloche(launcher, "auto", log, "--socket", socket.toString(), "ping")).isEqualTo(new Output(0, "ok\n", ""));
        assertThat(Files.readString(log)).as("the default start uses the cache").contains("Using AOT-linked classes: true");
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
     * A copy of the launcher and the build in another directory, whose cache is newer than every jar there: as it
     * is; with a jar renamed (a class path other than the trained one); truncated (the JVM cannot map it); older
     * than a jar (the launcher must leave it out: the JVM does not reliably notice a changed jar, and would run
     * the cached classes); missing. Each time the CLI pings, and nothing about the cache is printed.
     */
    @Test
    void aCacheThatCannotBeUsedIsLeftOutSilently() throws Exception {
        Path copy = dir.resolve("copy");
        Files.createDirectories(copy.resolve("bin"));
        Files.copy(REPO.resolve("bin/cloche"), copy.resolve("bin/cloche"), StandardCopyOption.COPY_ATTRIBUTES);
        Path target = copy.resolve("cloche-cli/target");
        Path lib = target.resolve("lib");
        Files.createDirectories(lib);
        Files.copy(TARGET.resolve("cloche-cli-0.1.0-SNAPSHOT.jar"), target.resolve("cloche-cli-0.1.0-SNAPSHOT.jar"));
        List<Path> jars;
        try (Stream<Path> list = Files.list(TARGET.resolve("lib"))) {
            jars = list.sorted().toList();
        }
        for (Path jar : jars) {
            Files.copy(jar, lib.resolve(jar.getFileName()));
        }
        Path cache = target.resolve("cloche.aot");
        Files.copy(TARGET.resolve("cloche.aot"), cache);
        Files.setLastModifiedTime(cache, FileTime.from(Instant.now().plusSeconds(60)));
        Path launcher = copy.resolve("bin/cloche");
        String s = socket.toString();
        Output ok = new Output(0, "ok\n", "");

        assertThat(cloche(launcher, "auto", "--socket", s, "ping")).as("moved").isEqualTo(ok);

        Path first = lib.resolve(jars.getFirst().getFileName());
        Path renamed = lib.resolve("a-" + first.getFileName());
        Files.move(first, renamed);
        assertThat(cloche(launcher, "auto", "--socket", s, "ping")).as("renamed").isEqualTo(ok);
        Files.move(renamed, first);

        byte[] whole = Files.readAllBytes(cache);
        Files.write(cache, java.util.Arrays.copyOf(whole, whole.length / 3));
        Files.setLastModifiedTime(cache, FileTime.from(Instant.now().plusSeconds(60)));
        assertThat(cloche(launcher, "require", "--socket", s, "ping").exit()).as("truncated, required").isNotZero();
        assertThat(cloche(launcher, "auto", "--socket", s, "ping")).as("truncated").isEqualTo(ok);

        Files.write(cache, whole);
        Files.setLastModifiedTime(first, FileTime.from(Instant.now().plusSeconds(120)));
        Path log = dir.resolve("stale.log");
        assertThat(cloche(launcher, "auto", log, "--socket", s, "ping")).as("older than a jar").isEqualTo(ok);
        assertThat(Files.readString(log)).as("older than a jar: not even opened").doesNotContain("cloche.aot");

        Files.delete(cache);
        assertThat(cloche(launcher, "auto", "--socket", s, "ping")).as("missing").isEqualTo(ok);
    }
}
