package dev.cloche.server;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A blocking InputStream fed chunk by chunk from another thread (Netty's event loop or a connection worker).
 * The producer either {@link #offer}s without blocking and pauses its source above {@link #queued()} limits
 * (resumed through the drain callback), or {@link #put}s and blocks while the pipe is full.
 */
final class ChunkPipe extends InputStream {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();
    private final long lowWater;
    private final long capacity;
    private byte[] head;
    private int headPos;
    private long queued;
    private boolean finished;
    private boolean consumerClosed;
    private Optional<IOException> failure = Optional.empty();
    private Runnable onDrain = () -> {};

    ChunkPipe(long lowWater, long capacity) {
        this.lowWater = lowWater;
        this.capacity = capacity;
    }

    /** Called (on the consumer's thread) whenever the queue falls below the low-water mark. */
    void onDrain(Runnable r) {
        lock.lock();
        try {
            onDrain = r;
        } finally {
            lock.unlock();
        }
    }

    /** Adds a chunk without blocking; returns the bytes now queued (0 if the consumer is gone). */
    long offer(byte[] chunk) {
        lock.lock();
        try {
            if (consumerClosed || finished) {
                return 0;
            }
            if (chunk.length > 0) {
                chunks.add(chunk);
                queued += chunk.length;
                changed.signalAll();
            }
            return queued;
        } finally {
            lock.unlock();
        }
    }

    /** Adds a chunk, blocking while more than the capacity is queued; false if the consumer is gone. */
    boolean put(byte[] chunk) throws InterruptedException {
        lock.lock();
        try {
            while (queued > capacity && !consumerClosed && !finished) {
                changed.await();
            }
            if (consumerClosed || finished) {
                return false;
            }
            chunks.add(chunk);
            queued += chunk.length;
            changed.signalAll();
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** End of data: readers see EOF after the queued chunks. Idempotent. */
    void finish() {
        lock.lock();
        try {
            finished = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Abnormal end: readers get {@code e} after the queued chunks. */
    void fail(IOException e) {
        lock.lock();
        try {
            if (!finished) {
                failure = Optional.of(e);
                finished = true;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    boolean isFinished() {
        lock.lock();
        try {
            return finished && chunks.isEmpty() && head == null;
        } finally {
            lock.unlock();
        }
    }

    long queued() {
        lock.lock();
        try {
            return queued;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        Runnable drained = null;
        int n;
        lock.lock();
        try {
            while (head == null && chunks.isEmpty() && !finished && !consumerClosed) {
                changed.awaitUninterruptibly();
            }
            if (consumerClosed) {
                throw new IOException("stream closed");
            }
            if (head == null && chunks.isEmpty()) {
                if (failure.isPresent()) {
                    throw new IOException(failure.get().getMessage(), failure.get());
                }
                return -1;
            }
            if (head == null) {
                head = chunks.poll();
                headPos = 0;
            }
            n = Math.min(len, head.length - headPos);
            System.arraycopy(head, headPos, b, off, n);
            headPos += n;
            if (headPos == head.length) {
                head = null;
            }
            long before = queued;
            queued -= n;
            changed.signalAll();
            if (before >= lowWater && queued < lowWater) {
                drained = onDrain;
            }
        } finally {
            lock.unlock();
        }
        if (drained != null) {
            drained.run();
        }
        return n;
    }

    @Override
    public int available() {
        lock.lock();
        try {
            return (int) Math.min(Integer.MAX_VALUE, queued);
        } finally {
            lock.unlock();
        }
    }

    /** Consumer side: discards everything queued and every later chunk. Idempotent. */
    @Override
    public void close() {
        Runnable drained;
        lock.lock();
        try {
            consumerClosed = true;
            chunks.clear();
            head = null;
            queued = 0;
            drained = onDrain;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        drained.run();
    }
}
