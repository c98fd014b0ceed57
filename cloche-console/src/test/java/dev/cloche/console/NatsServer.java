package dev.cloche.console;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A private, real nats-server on a free loopback port with its own store directory; closing kills it. */
final class NatsServer implements AutoCloseable {
    final int port;
    private Process process;
    private final Path dir;

    private NatsServer(int port, Process process, Path dir) {
        this.port = port;
        this.process = process;
        this.dir = dir;
    }

    static NatsServer start() throws IOException, InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        Path dir = Files.createTempDirectory("cloche-console-nats");
        NatsServer n = new NatsServer(port, launch(port, dir), dir);
        n.awaitListening();
        return n;
    }

    private static Process launch(int port, Path dir) throws IOException {
        return new ProcessBuilder("nats-server", "-a", "127.0.0.1", "-p", Integer.toString(port), "-sd", dir.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("nats.log").toFile())).start();
    }

    /** Stops the server (SIGTERM, as a service manager would) and starts a new one on the same port. */
    void restart() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        process = launch(port, dir);
        awaitListening();
    }

    private void awaitListening() throws IOException, InterruptedException {
        NatsServer n = this;
        Process p = process;
        for (int i = 0; i < 200; i++) {
            if (!p.isAlive()) {
                throw new IllegalStateException("nats-server exited: " + Files.readString(dir.resolve("nats.log")));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), 200);
                return;
            } catch (IOException notYet) {
                Thread.sleep(50);
            }
        }
        n.close();
        throw new IllegalStateException("nats-server not listening on " + port);
    }

    String url() {
        return "nats://127.0.0.1:" + port;
    }

    @Override
    public void close() throws IOException, InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor();
        }
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }
}
