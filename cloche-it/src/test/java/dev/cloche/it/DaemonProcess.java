package dev.cloche.it;

import dev.cloche.api.GardenClient;
import dev.cloche.client.RemoteGardenClient;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The daemon started exactly as {@code make run} starts it ({@code bin/clocheD}), on a private depot, TCP port,
 * unix socket and cgroup parent, so tests never touch a daemon the developer may be running.
 */
final class DaemonProcess implements AutoCloseable {
    static final Path REPO = Path.of(System.getProperty("cloche.repo", ".."));
    static final String ROOTFS = System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs");
    static final String INIT = System.getProperty("cloche.init", "/var/lib/cloche/bin/cloche-init");

    final Path dir;
    final Path socket;
    final Path depot;
    final int port;
    final Path log;
    private final Process process;

    private DaemonProcess(Path dir, int port, Process process) {
        this.dir = dir;
        this.socket = dir.resolve("garden.sock");
        this.depot = dir.resolve("depot");
        this.port = port;
        this.log = dir.resolve("daemon.log");
        this.process = process;
    }

    static DaemonProcess start(String cgroupParent) throws IOException {
        return start(cgroupParent, List.of());
    }

    /** As {@link #start(String)}, with more daemon flags (the access flags, ...). */
    static DaemonProcess start(String cgroupParent, List<String> extraArgs) throws IOException {
        // rwx--x--x: user-namespaced container roots must be able to traverse down to their rootfs
        Path dir = Files.createTempDirectory("cloche-e2e-",
                java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x")));
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        return start(dir, port, cgroupParent, extraArgs);
    }

    /** Stops this daemon (SIGTERM, as Ctrl-C) and starts a new one on the same depot, socket and port. */
    DaemonProcess restart(String cgroupParent) throws IOException, InterruptedException {
        close();
        return start(dir, port, cgroupParent, List.of());
    }

    /** Kills this daemon with SIGKILL (a crash: no shutdown code runs) and starts a new one on the same depot. */
    DaemonProcess killAndRestart(String cgroupParent) throws IOException, InterruptedException {
        process.destroyForcibly().waitFor();
        Files.deleteIfExists(socket); // a killed daemon leaves its socket file behind, which awaitReady would trust
        return start(dir, port, cgroupParent, List.of());
    }

    private static DaemonProcess start(Path dir, int port, String cgroupParent, List<String> extraArgs) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(REPO.resolve("bin/clocheD").toString(),
                "--listen", "127.0.0.1:" + port,
                "--socket", dir.resolve("garden.sock").toString(),
                "--depot", dir.resolve("depot").toString(),
                "--rootfs", ROOTFS, "--init-binary", INIT,
                "--backend-setting", "cgroupParent=" + cgroupParent,
                "--backend-setting", "runtimeRoot=" + dir.resolve("runtime"),
                // a pool, prefix and port range of its own: never meets a daemon running beside the tests
                "--backend-setting", "networkPool=10.253.16.0/24", "--backend-setting", "networkPrefix=clee",
                "--backend-setting", "portPool=42000-42099",
                // the proxy on a port derived from the API's, so a restarted daemon serves it at the same address
                "--proxy-listen", "127.0.0.1:" + proxyPort(port)));
        cmd.addAll(extraArgs);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("daemon.log").toFile())).start();
        DaemonProcess d = new DaemonProcess(dir, port, p);
        d.awaitReady();
        return d;
    }

    /** Where this daemon's ephemeral-environment proxy listens. */
    static int proxyPort(int apiPort) {
        return apiPort > 60000 ? apiPort - 1000 : apiPort + 1000;
    }

    String proxyUrl() {
        return "http://127.0.0.1:" + proxyPort(port);
    }

    /** The daemon's pid (bin/clocheD execs the JVM). */
    long pid() {
        return process.pid();
    }

    GardenClient tcpClient() {
        return RemoteGardenClient.tcp("127.0.0.1", port);
    }

    GardenClient unixClient() {
        return RemoteGardenClient.unix(socket);
    }

    String logText() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void awaitReady() {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        RuntimeException last = null;
        while (Instant.now().isBefore(deadline)) {
            if (!process.isAlive()) {
                throw new IllegalStateException("daemon exited with " + process.exitValue() + ":\n" + logText());
            }
            if (Files.exists(socket)) {
                try (GardenClient c = unixClient()) {
                    c.ping();
                    return;
                } catch (RuntimeException e) {
                    last = e;
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        throw new IllegalStateException("daemon not ready after 60 s: " + last + "\n" + logText());
    }

    /**
     * Once stopped and its containers destroyed: removes its directory (depot, log). Kept for a look when anything
     * is still mounted under it, which the walk would otherwise reach.
     */
    void removeFiles() throws IOException {
        if (Files.readString(Path.of("/proc/self/mounts")).contains(dir.toString())) return;
        try (java.util.stream.Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    /** SIGTERM, as Ctrl-C on {@code make run} would. */
    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
    }
}
