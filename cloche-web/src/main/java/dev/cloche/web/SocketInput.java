package dev.cloche.web;

import java.io.InputStream;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A terminal's stdin: bytes typed in the browser, queued by the websocket's event loop (never blocking it) and read
 * by the process's stdin pump; {@link #close()} is end of input once the queue is drained.
 */
final class SocketInput extends InputStream {
    private static final byte[] END = new byte[0];

    private final LinkedBlockingQueue<byte[]> chunks = new LinkedBlockingQueue<>();
    private byte[] current = new byte[0];
    private int offset;
    private volatile boolean ended;

    void offer(byte[] bytes) {
        if (!ended && bytes.length > 0) {
            chunks.add(bytes);
        }
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (len == 0) {
            return 0;
        }
        while (offset == current.length) {
            if (current == END) {
                return -1;
            }
            try {
                current = chunks.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
            offset = 0;
            if (current == END) {
                chunks.add(END); // every later read sees the end too
                return -1;
            }
        }
        int n = Math.min(len, current.length - offset);
        System.arraycopy(current, offset, b, off, n);
        offset += n;
        return n;
    }

    @Override
    public void close() {
        if (!ended) {
            ended = true;
            chunks.add(END);
        }
    }
}
