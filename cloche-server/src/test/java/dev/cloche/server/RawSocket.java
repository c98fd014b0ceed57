package dev.cloche.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** A raw client socket (TCP or unix) for replaying wire bytes: write anything, read heads, lines and to EOF. */
final class RawSocket implements AutoCloseable {
    private final SocketChannel ch;
    private byte[] buf = new byte[0];

    private RawSocket(SocketChannel ch) {
        this.ch = ch;
    }

    /** One request on a connection of its own; the whole answer, read until the server closes. */
    static String exchange(SocketAddress addr, String request) {
        try (RawSocket c = open(addr)) {
            c.send(request);
            return new String(c.readToEof(), java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** A request with {@code Connection: close} and its body's length. */
    static String request(String method, String path, String body) {
        return method + " " + path + " HTTP/1.1\r\nHost: api\r\nConnection: close\r\nContent-Length: "
                + body.getBytes(java.nio.charset.StandardCharsets.UTF_8).length + "\r\n\r\n" + body;
    }

    static RawSocket open(SocketAddress addr) {
        try {
            return new RawSocket(SocketChannel.open(addr));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RawSocket send(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            return this;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    RawSocket send(String s) {
        return send(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads more bytes; false at EOF. */
    private boolean fill() {
        try {
            ByteBuffer b = ByteBuffer.allocate(64 * 1024);
            int n = ch.read(b);
            if (n < 0) {
                return false;
            }
            byte[] joined = Arrays.copyOf(buf, buf.length + n);
            System.arraycopy(b.array(), 0, joined, buf.length, n);
            buf = joined;
            return true;
        } catch (IOException e) {
            return false; // reset by peer counts as EOF here
        }
    }

    private int indexOf(byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= buf.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (buf[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private byte[] take(int n) {
        byte[] out = Arrays.copyOf(buf, n);
        buf = Arrays.copyOfRange(buf, n, buf.length);
        return out;
    }

    /** A response head: status line and headers (names lower-cased). */
    record Head(String statusLine, Map<String, String> headers) {
        int status() {
            return Integer.parseInt(statusLine.split(" ")[1]);
        }

        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    Head readHead() {
        byte[] end = "\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        while (indexOf(end) < 0) {
            if (!fill()) {
                throw new IllegalStateException("EOF before the response head; got: " + new String(buf, StandardCharsets.ISO_8859_1));
            }
        }
        String head = new String(take(indexOf(end) + 4), StandardCharsets.ISO_8859_1);
        String[] lines = head.strip().split("\r\n");
        Map<String, String> h = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int c = lines[i].indexOf(':');
            h.put(lines[i].substring(0, c).toLowerCase(Locale.ROOT), lines[i].substring(c + 1).strip());
        }
        return new Head(lines[0], h);
    }

    /** One line without its '\n', or empty at EOF. */
    String readLine() {
        while (indexOf(new byte[] {'\n'}) < 0) {
            if (!fill()) {
                return new String(take(buf.length), StandardCharsets.UTF_8);
            }
        }
        byte[] line = take(indexOf(new byte[] {'\n'}) + 1);
        return new String(line, 0, line.length - 1, StandardCharsets.UTF_8);
    }

    byte[] readBody(int contentLength) {
        while (buf.length < contentLength) {
            if (!fill()) {
                throw new IllegalStateException("EOF inside a body");
            }
        }
        return take(contentLength);
    }

    /** Everything until the server closes. */
    byte[] readToEof() {
        while (fill()) {
            // keep reading
        }
        return take(buf.length);
    }

    static byte[] dechunk(byte[] chunked) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int pos = 0;
        while (true) {
            int eol = pos;
            while (chunked[eol] != '\r') {
                eol++;
            }
            int size = Integer.parseInt(new String(chunked, pos, eol - pos, StandardCharsets.US_ASCII).strip(), 16);
            if (size == 0) {
                return out.toByteArray();
            }
            out.write(chunked, eol + 2, size);
            pos = eol + 2 + size + 2;
        }
    }

    @Override
    public void close() {
        try {
            ch.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
