package dev.cloche.tar;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The archive as it comes in, under the commons-compress reader: counts the bytes taken (offsets in messages), keeps
 * a copy of them while {@link #capture} is on (headers, so a copier can pass them on byte for byte once they were
 * checked) and tells an archive that ended apart from a source that failed.
 */
final class Tap extends InputStream {
    private final InputStream source;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream(1024);
    private long offset;
    private boolean capture;
    private boolean ended;
    private boolean eof;
    private boolean failed;

    Tap(InputStream source) {
        this.source = source;
    }

    long offset() {
        return offset;
    }

    void capture(boolean on) {
        capture = on;
    }

    /** Writes what was captured since the last call to {@code out} and forgets it. */
    void drainCaptured(OutputStream out) throws IOException {
        captured.writeTo(out);
        captured.reset();
    }

    byte[] takeCaptured() {
        byte[] b = captured.toByteArray();
        captured.reset();
        return b;
    }

    /** The end-of-archive marker was read: the reader takes nothing more (the rest is the caller's, see {@link #rest}). */
    void end() {
        ended = true;
    }

    /** The source ran out (as opposed to failing). */
    boolean eof() {
        return eof;
    }

    /** Reading the source threw: its exception is the caller's error, not a verdict on the archive. */
    boolean failed() {
        return failed;
    }

    /** The source from here on, past the reader. */
    InputStream rest() {
        return source;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (ended) return -1;
        if (len == 0) return 0;
        int n;
        try {
            n = source.read(b, off, len);
        } catch (IOException e) {
            failed = true;
            throw e;
        }
        if (n < 0) {
            eof = true;
            return -1;
        }
        offset += n;
        if (capture) captured.write(b, off, n);
        return n;
    }

    @Override
    public int available() throws IOException {
        if (ended) return 0;
        try {
            return source.available();
        } catch (IOException e) {
            failed = true;
            throw e;
        }
    }
}
