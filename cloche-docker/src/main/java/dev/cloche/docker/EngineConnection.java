package dev.cloche.docker;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;

/**
 * One raw connection to the engine, for the exec streams docker-java cannot carry: its hijack never half-closes the
 * connection, so a process would never see the end of its stdin. Reads and writes go straight to the channel (its
 * read and write locks are separate), so one thread may block reading output while another writes stdin.
 */
final class EngineConnection implements AutoCloseable {
    private final SocketChannel channel;
    private final InputStream in;
    private final OutputStream out;
    private final java.util.function.Consumer<EngineConnection> onClose;

    private EngineConnection(SocketChannel channel, java.util.function.Consumer<EngineConnection> onClose) {
        this.channel = channel;
        this.onClose = onClose;
        this.in = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                int n = channel.read(ByteBuffer.wrap(b, off, len));
                return n; // blocking channel: never 0
            }
        };
        this.out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) channel.write(buf);
            }
        };
    }

    /** Connects to {@code unix:///path} or {@code tcp://host:port}. */
    static EngineConnection open(URI host, java.util.function.Consumer<EngineConnection> onClose) throws IOException {
        SocketAddress address = switch (host.getScheme()) {
            case "unix" -> UnixDomainSocketAddress.of(host.getPath());
            case "tcp", "http" -> new InetSocketAddress(host.getHost(), host.getPort());
            default -> throw new IOException("unsupported docker host: " + host);
        };
        return new EngineConnection(SocketChannel.open(address), onClose);
    }

    InputStream input() {
        return in;
    }

    OutputStream output() {
        return out;
    }

    /** Ends what we send (the process's stdin) and keeps reading what comes back. */
    void shutdownOutput() throws IOException {
        channel.shutdownOutput();
    }

    /**
     * Sends an upgrading POST with a JSON body and reads the answer's head. Returns the status code; the body of a
     * refusal (status 300 or more) is read into {@code refusal}.
     */
    int upgrade(String path, String json, StringBuilder refusal) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + path + " HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
                + "Connection: Upgrade\r\nUpgrade: tcp\r\nContent-Length: " + body.length + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        out.write(body);
        String statusLine = line();
        String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/")) throw new IOException("not an HTTP answer: " + statusLine);
        int status = Integer.parseInt(parts[1]);
        long length = -1;
        boolean chunked = false;
        for (String h = line(); !h.isEmpty(); h = line()) {
            String lower = h.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("content-length:")) length = Long.parseLong(h.substring(15).strip());
            if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
        }
        if (status >= 300) {
            byte[] b = length >= 0 ? in.readNBytes((int) Math.min(length, 65536)) : chunked ? in.readNBytes(4096) : new byte[0];
            refusal.append(new String(b, StandardCharsets.UTF_8).strip());
        }
        return status;
    }

    /**
     * A plain POST of {@code length} bytes with {@code Connection: close}; returns the status and appends the
     * answer's body (read to the end of the connection) to {@code answer}.
     */
    int post(String path, String contentType, InputStream body, long length, StringBuilder answer) throws IOException {
        String head = "POST " + path + " HTTP/1.1\r\nHost: docker\r\nContent-Type: " + contentType
                + "\r\nConnection: close\r\nContent-Length: " + length + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        body.transferTo(out);
        String[] parts = line().split(" ", 3);
        if (parts.length < 2) throw new IOException("not an HTTP answer");
        int status = Integer.parseInt(parts[1]);
        boolean chunked = false;
        for (String h = line(); !h.isEmpty(); h = line()) {
            String lower = h.toLowerCase(java.util.Locale.ROOT);
            if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
        }
        String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        // the body's JSON lines are all that matter: chunk sizes are dropped with the blank and hex-only lines
        if (chunked) text = text.lines().filter(l -> !l.matches("[0-9a-fA-F]*")).reduce("", (a, b) -> a + b + "\n");
        answer.append(text.strip());
        return status;
    }

    private String line() throws IOException {
        StringBuilder s = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            if (c < 0) throw new IOException("the engine closed the connection in an answer's head");
            if (c != '\r') s.append((char) c);
        }
        return s.toString();
    }

    @Override
    public void close() {
        onClose.accept(this);
        try {
            channel.close();
        } catch (IOException e) {
            // closing: nothing left to release
        }
    }
}
