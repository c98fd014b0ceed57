package dev.cloche.client;

import dev.cloche.api.GardenError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLSocket;

/**
 * The client's side of one HTTP/1.1 connection: writes requests, parses response heads and bodies by hand so that
 * Run/Attach can take the raw socket over after the response head. Reads and writes go straight to the channel (it
 * has separate read and write locks), so one thread may read while another writes. {@link #close()} closes the
 * socket.
 */
final class HttpConnection implements AutoCloseable {
    /** The byte stream under the connection: a socket channel, or a TLS socket's streams. */
    private interface Transport extends ReadableByteChannel, WritableByteChannel {
        void shutdownOutput() throws IOException;
    }

    private final Transport ch;
    private final String authorization;
    private final byte[] buf = new byte[64 * 1024];
    private int pos;
    private int lim;
    private final Object writeLock = new Object();

    private HttpConnection(Transport ch, String authorization) {
        this.ch = ch;
        this.authorization = authorization;
    }

    /** A plain connection (TCP or unix socket); {@code authorization} is a header line sent with every request, or "". */
    static HttpConnection open(SocketAddress addr, String authorization) {
        try {
            return new HttpConnection(plain(SocketChannel.open(addr)), authorization);
        } catch (IOException e) {
            throw GardenError.internal("cannot connect to " + addr + ": " + e.getMessage(), e);
        }
    }

    /** A connection over a TLS socket whose handshake is done. */
    static HttpConnection over(SSLSocket socket, String authorization) throws IOException {
        return new HttpConnection(tls(socket), authorization);
    }

    /** The header line(s) every request on this connection carries (the bearer token), CRLF-ended, or "". */
    String authorization() {
        return authorization;
    }

    private static Transport plain(SocketChannel sc) {
        return new Transport() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return sc.read(dst);
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                return sc.write(src);
            }

            @Override
            public void shutdownOutput() throws IOException {
                sc.shutdownOutput();
            }

            @Override
            public boolean isOpen() {
                return sc.isOpen();
            }

            @Override
            public void close() throws IOException {
                sc.close();
            }
        };
    }

    /** The JDK's TLS socket reads and writes from separate threads safely; each direction gets its own channel. */
    private static Transport tls(SSLSocket socket) throws IOException {
        ReadableByteChannel in = Channels.newChannel(socket.getInputStream());
        WritableByteChannel out = Channels.newChannel(socket.getOutputStream());
        return new Transport() {
            @Override
            public int read(ByteBuffer dst) throws IOException {
                return in.read(dst);
            }

            @Override
            public int write(ByteBuffer src) throws IOException {
                return out.write(src);
            }

            @Override
            public void shutdownOutput() throws IOException {
                socket.shutdownOutput();
            }

            @Override
            public boolean isOpen() {
                return !socket.isClosed();
            }

            @Override
            public void close() throws IOException {
                socket.close();
            }
        };
    }

    /** A parsed response head. */
    record ResponseHead(int status, Map<String, String> headers) {
        Optional<String> header(String name) {
            return Optional.ofNullable(headers.get(name.toLowerCase(Locale.ROOT)));
        }

        boolean ok() {
            return status / 100 == 2;
        }
    }

    void write(byte[] b) throws IOException {
        synchronized (writeLock) {
            ByteBuffer bb = ByteBuffer.wrap(b);
            while (bb.hasRemaining()) {
                ch.write(bb);
            }
        }
    }

    void write(String s) throws IOException {
        write(s.getBytes(StandardCharsets.UTF_8));
    }

    private boolean fill() throws IOException {
        if (pos == lim) {
            pos = 0;
            lim = 0;
        }
        if (lim == buf.length) {
            throw new IOException("line too long");
        }
        int n = ch.read(ByteBuffer.wrap(buf, lim, buf.length - lim));
        if (n < 0) {
            return false;
        }
        lim += n;
        return true;
    }

    /** One line without CRLF/LF; empty at EOF before any byte. */
    Optional<String> readLine() throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        while (true) {
            for (int i = pos; i < lim; i++) {
                if (buf[i] == '\n') {
                    bytes.write(buf, pos, i - pos);
                    pos = i + 1;
                    String s = bytes.toString(StandardCharsets.UTF_8);
                    return Optional.of(s.endsWith("\r") ? s.substring(0, s.length() - 1) : s);
                }
            }
            bytes.write(buf, pos, lim - pos);
            pos = lim;
            if (!fill()) {
                return bytes.size() == 0 ? Optional.empty() : Optional.of(bytes.toString(StandardCharsets.UTF_8));
            }
        }
    }

    ResponseHead readHead() throws IOException {
        String status = readLine().orElseThrow(() -> new IOException("connection closed before the response"));
        String[] parts = status.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
            throw new IOException("bad status line: " + status);
        }
        Map<String, String> headers = new LinkedHashMap<>();
        for (String l = readLine().orElse(""); !l.isEmpty(); l = readLine().orElse("")) {
            int c = l.indexOf(':');
            if (c > 0) {
                headers.put(l.substring(0, c).strip().toLowerCase(Locale.ROOT), l.substring(c + 1).strip());
            }
        }
        return new ResponseHead(Integer.parseInt(parts[1]), headers);
    }

    /** Reads up to len raw bytes; -1 at EOF. */
    int readRaw(byte[] b, int off, int len) throws IOException {
        if (pos == lim && len >= buf.length) {
            // nothing buffered and a large read: straight into the caller's array, one copy fewer
            return ch.read(ByteBuffer.wrap(b, off, len));
        }
        if (pos == lim && !fill()) {
            return -1;
        }
        int n = Math.min(len, lim - pos);
        System.arraycopy(buf, pos, b, off, n);
        pos += n;
        return n;
    }

    /** The response body as framed by the head: Content-Length, chunked, or up to EOF. */
    InputStream body(ResponseHead head) {
        InputStream raw = new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : readRaw(b, off, len);
            }
        };
        if (head.header("transfer-encoding").map(v -> v.equalsIgnoreCase("chunked")).orElse(false)) {
            return new ChunkedInputStream(raw, this);
        }
        Optional<Long> length = head.header("content-length").map(Long::parseLong);
        return length.map(l -> (InputStream) new BoundedInputStream(raw, l)).orElse(raw);
    }

    byte[] readBody(ResponseHead head) throws IOException {
        return body(head).readAllBytes();
    }

    /** Raw bytes of the rest of the connection (a hijacked stream). */
    InputStream rawStream() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return len == 0 ? 0 : readRaw(b, off, len);
            }
        };
    }

    OutputStream chunkedOutput() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return; // a zero-size chunk would end the body
                }
                byte[] size = (Integer.toHexString(len) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                byte[] frame = new byte[size.length + len + 2];
                System.arraycopy(size, 0, frame, 0, size.length);
                System.arraycopy(b, off, frame, size.length, len);
                frame[frame.length - 2] = '\r';
                frame[frame.length - 1] = '\n';
                HttpConnection.this.write(frame);
            }

            @Override
            public void close() throws IOException {
                HttpConnection.this.write("0\r\n\r\n");
            }
        };
    }

    /** Closes only the write side (the reader still sees the response). */
    void shutdownOutput() {
        try {
            ch.shutdownOutput();
        } catch (IOException | UnsupportedOperationException e) {
            // already gone, or a TLS version without half-close
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

    /** Reads exactly {@code length} bytes, then EOF. */
    private static final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long left;

        BoundedInputStream(InputStream in, long left) {
            this.in = in;
            this.left = left;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left == 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new IOException("unexpected EOF: " + left + " body bytes missing");
            }
            left -= n;
            return n;
        }
    }

    /** HTTP/1.1 chunked decoding; trailers are skipped. */
    private static final class ChunkedInputStream extends InputStream {
        private final InputStream in;
        private final HttpConnection connection;
        private long chunkLeft;
        private boolean done;

        ChunkedInputStream(InputStream in, HttpConnection connection) {
            this.in = in;
            this.connection = connection;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (chunkLeft == 0) {
                String sizeLine = connection.readLine().orElseThrow(() -> new IOException("unexpected EOF in chunked body"));
                int semi = sizeLine.indexOf(';');
                chunkLeft = Long.parseLong((semi < 0 ? sizeLine : sizeLine.substring(0, semi)).strip(), 16);
                if (chunkLeft == 0) {
                    while (!connection.readLine().orElse("").isEmpty()) {
                        // trailer lines
                    }
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, chunkLeft));
            if (n < 0) {
                throw new IOException("unexpected EOF in chunked body");
            }
            chunkLeft -= n;
            if (chunkLeft == 0) {
                connection.readLine(); // the CRLF after the chunk data
            }
            return n;
        }
    }
}
