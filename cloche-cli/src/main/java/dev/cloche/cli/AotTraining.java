package dev.cloche.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The workload the CLI's ahead-of-time cache is trained on (JEP 483/514; {@code CLOCHE_AOT=train bin/cloche}, run by
 * the build). It is not a verb: one JVM runs the common invocations through {@link Cloche#run} as {@code bin/cloche}
 * would, so that the cache holds the classes, linkage and profiles of real start-ups: help, version, a parse error,
 * {@code ping} and {@code list} against a stand-in Garden server (a unix socket in a temporary directory answering
 * {@code /ping} and {@code /containers} as the daemon does), and {@code ping} with nothing listening.
 *
 * <p>Every call's exit code and output are checked: a CLI that cannot parse, ping or list fails the training, and
 * with it the build, instead of leaving a cache of a broken start.
 */
final class AotTraining {
    private AotTraining() {}

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("cloche-aot-");
        Path socket = dir.resolve("garden.sock");
        List<String> failures = new ArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            Thread.ofPlatform().daemon().name("aot-training-server").start(() -> serve(server));
            String s = socket.toString();
            check(failures, 0, "Usage: cloche", "--help");
            check(failures, 0, "cloche 0.1.0", "--version");
            check(failures, 0, "Usage: cloche ping", "help", "ping");
            check(failures, 0, "Usage: cloche list", "help", "list");
            check(failures, 0, "Usage: cloche images", "help", "images");
            check(failures, 2, "Unknown option", "ping", "--no-such-option");
            for (int i = 0; i < 3; i++) {
                check(failures, 0, "ok", "--socket", s, "ping");
                check(failures, 0, "training", "--socket", s, "list");
            }
            check(failures, 1, "cloche: cannot connect", "--socket", dir.resolve("absent.sock").toString(), "ping");
        } finally {
            Files.deleteIfExists(socket);
            Files.delete(dir);
        }
        if (!failures.isEmpty()) {
            System.err.println("cloche AOT training: the CLI misbehaved:\n  " + String.join("\n  ", failures));
            System.exit(1);
        }
    }

    /** Runs {@code cloche args} with its output captured; records a failure unless it exits and prints as expected. */
    private static void check(List<String> failures, int code, String output, String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream to = new PrintStream(captured, true, StandardCharsets.UTF_8);
        int rc;
        System.setOut(to);
        System.setErr(to);
        try {
            rc = Cloche.run(args);
        } catch (RuntimeException e) {
            rc = -1;
            e.printStackTrace(to);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        String text = captured.toString(StandardCharsets.UTF_8);
        if (rc != code || !text.contains(output)) {
            failures.add("cloche " + String.join(" ", args) + ": exit " + rc + " (want " + code + "), output "
                    + text.strip() + " (want " + output + ")");
        }
    }

    /** The stand-in server: one request per connection, as the client sends them; 200 with the daemon's bodies. */
    private static void serve(ServerSocketChannel server) {
        while (true) {
            try (SocketChannel c = server.accept()) {
                String head = readHead(c);
                String path = head.split(" ", 3)[1];
                String body = path.startsWith("/containers") ? "{\"Handles\":[\"training\"]}\n" : "{}\n";
                byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
                String answer = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                        + "\r\nConnection: close\r\n\r\n" + body;
                ByteBuffer b = ByteBuffer.wrap(answer.getBytes(StandardCharsets.UTF_8));
                while (b.hasRemaining()) {
                    c.write(b);
                }
            } catch (ClosedChannelException e) {
                return;
            } catch (IOException | RuntimeException e) {
                // a broken request: the client's check reports it
            }
        }
    }

    private static String readHead(SocketChannel c) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(4096);
        while (!head.toString(StandardCharsets.ISO_8859_1).contains("\r\n\r\n")) {
            b.clear();
            if (c.read(b) < 0) {
                throw new IOException("request ended early");
            }
            head.write(b.array(), 0, b.position());
        }
        return head.toString(StandardCharsets.ISO_8859_1);
    }
}
