package dev.cloche.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * A stand-in daemon for the CLI's tests (the CLI may not depend on the server): a unix socket that reads each
 * request (head and Content-Length body), records it, and writes the answer {@code answer} gives for it.
 */
final class StandInGarden implements AutoCloseable {
    /** A request as it arrived; {@code head} is its request line and header lines. */
    record Request(String method, String path, String body, String head) {}

    private final ServerSocketChannel server;
    private final Path socket;
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    StandInGarden(Path socket, Function<Request, String> answer) throws IOException {
        this.socket = socket;
        server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        Thread.ofPlatform().daemon().name("stand-in-garden").start(() -> {
            while (server.isOpen()) {
                try (SocketChannel c = server.accept()) {
                    Request r = read(c);
                    requests.add(r);
                    ByteBuffer out = ByteBuffer.wrap(answer.apply(r).getBytes(StandardCharsets.UTF_8));
                    while (out.hasRemaining()) {
                        c.write(out);
                    }
                } catch (IOException e) {
                    // closed at the end, or a client gone
                }
            }
        });
    }

    Path socket() {
        return socket;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    /** A whole 200 answer with a JSON body. */
    static String json(String body) {
        return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                + body.getBytes(StandardCharsets.UTF_8).length + "\r\nConnection: close\r\n\r\n" + body;
    }

    /** A chunked 200 of newline-delimited records, one chunk per record. */
    static String records(List<String> lines) {
        StringBuilder b = new StringBuilder("HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n"
                + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
        for (String l : lines) {
            b.append(Integer.toHexString(l.getBytes(StandardCharsets.UTF_8).length)).append("\r\n").append(l).append("\r\n");
        }
        return b.append("0\r\n\r\n").toString();
    }

    private static Request read(SocketChannel c) throws IOException {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        ByteBuffer b = ByteBuffer.allocate(8192);
        int headEnd;
        while ((headEnd = in.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n")) < 0) {
            b.clear();
            if (c.read(b) < 0) {
                throw new IOException("request ended early");
            }
            in.write(b.array(), 0, b.position());
        }
        String head = in.toString(StandardCharsets.ISO_8859_1).substring(0, headEnd);
        int length = 0;
        for (String line : head.split("\r\n")) {
            if (line.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        while (in.size() < headEnd + 4 + length) {
            b.clear();
            if (c.read(b) < 0) {
                throw new IOException("body ended early");
            }
            in.write(b.array(), 0, b.position());
        }
        String[] requestLine = head.substring(0, head.indexOf("\r\n")).split(" ");
        byte[] all = in.toByteArray();
        return new Request(requestLine[0], requestLine[1], new String(all, headEnd + 4, length, StandardCharsets.UTF_8), head);
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
