package dev.cloche.testkit;

import java.io.InputStream;
import java.util.Arrays;

/** An append-only in-memory byte log; every reader replays it from byte 0 and then follows it until it is closed. */
final class OutputBuffer {
    // grown in place and read without a copy of the whole log per read (megabytes of output stay linear)
    private byte[] bytes = new byte[256];
    private int size;
    private boolean closed;
    private int openReaders;

    synchronized void append(byte[] b) {
        if (closed) {
            return;
        }
        if (size + b.length > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + b.length));
        }
        System.arraycopy(b, 0, bytes, size, b.length);
        size += b.length;
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
                if (len == 0) {
                    return 0; // InputStream's contract; readNBytes asks for 0 once its buffer is full
                }
                synchronized (OutputBuffer.this) {
                    while (!readerClosed && pos >= size && !closed) {
                        try {
                            OutputBuffer.this.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return -1;
                        }
                    }
                    if (readerClosed || pos >= size) {
                        return -1;
                    }
                    int n = Math.min(len, size - pos);
                    System.arraycopy(bytes, pos, b, off, n);
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
        return Arrays.copyOf(bytes, size);
    }
}
