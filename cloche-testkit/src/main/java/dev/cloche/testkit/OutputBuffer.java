package dev.cloche.testkit;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.util.Arrays;

/** An append-only in-memory byte log; every reader replays it from byte 0 and then follows it until it is closed. */
final class OutputBuffer {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private boolean closed;
    private int openReaders;

    synchronized void append(byte[] b) {
        if (closed) {
            return;
        }
        bytes.writeBytes(b);
        notifyAll();
    }

    synchronized void close() {
        closed = true;
        notifyAll();
    }

    /** Readers not closed yet: a pump that still holds one has not finished delivering. */
    synchronized int openReaders() {
        return openReaders;
    }

    synchronized InputStream reader() {
        openReaders++;
        return new InputStream() {
            private int pos;
            private boolean readerClosed;

            @Override
            public int read() {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                synchronized (OutputBuffer.this) {
                    while (!readerClosed && pos >= bytes.size() && !closed) {
                        try {
                            OutputBuffer.this.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return -1;
                        }
                    }
                    if (readerClosed || pos >= bytes.size()) {
                        return -1;
                    }
                    byte[] all = bytes.toByteArray();
                    int n = Math.min(len, all.length - pos);
                    System.arraycopy(all, pos, b, off, n);
                    pos += n;
                    return n;
                }
            }

            @Override
            public void close() {
                synchronized (OutputBuffer.this) {
                    if (!readerClosed) {
                        openReaders--;
                    }
                    readerClosed = true;
                    OutputBuffer.this.notifyAll();
                }
            }
        };
    }

    synchronized byte[] snapshot() {
        return Arrays.copyOf(bytes.toByteArray(), bytes.size());
    }
}
