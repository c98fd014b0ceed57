package dev.cloche.linux;

import dev.cloche.api.FileRangeSink;
import dev.cloche.linux.sys.SparseFiles;
import dev.cloche.spi.FileBackedOutput;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process's output as its readers see it (docs/process-monitor.md §2a): every reader follows an output file by
 * offset from where its data starts, woken by {@link #changed()}, until the process has ended and the file is read to
 * its end. Output every open reader has consumed is released from the file, except the last {@link #KEEP} bytes.
 */
final class OutputLog {
    private static final Logger LOG = LoggerFactory.getLogger(OutputLog.class);
    /** How long a reader waits for a change before it looks again by itself. */
    private static final Duration READ_WAIT = Duration.ofMillis(250);
    /**
     * Output every reader has consumed is released from its file in steps of {@code RELEASE_STEP}, always keeping
     * the last {@code KEEP} bytes before the slowest reader, so a later attach still replays recent output.
     */
    static final long KEEP = 1 << 20;
    static final long RELEASE_STEP = 4 << 20;
    /** The largest range {@link Reader#sendTo} hands over at once, so consumed output is released as it goes. */
    static final long MAX_RANGE = 4 << 20;

    /** True once the process has ended: the files are then complete, and a reader at their end is done. */
    private final BooleanSupplier ended;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long changes;
    /** Open readers, and how far each file's consumed prefix has been released. */
    private final Set<Reader> readers = ConcurrentHashMap.newKeySet();
    private final Map<Path, Long> released = new HashMap<>();

    OutputLog(BooleanSupplier ended) {
        this.ended = ended;
    }

    /** A reader of {@code file} from the first byte still kept. */
    InputStream open(Path file) {
        Reader r = new Reader(file);
        readers.add(r);
        return r;
    }

    /** Something in the process directory changed, or the process ended: wake every reader. */
    void changed() {
        lock.lock();
        try {
            changes++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A range of a file whose storage can go. */
    record Release(long from, long end) {}

    /**
     * What can be released of a file whose readers are at {@code positions} and whose prefix up to {@code released}
     * has gone already: up to {@link #KEEP} before the slowest reader, page-aligned, once it is at least
     * {@link #RELEASE_STEP}. Nothing without readers: output nobody reads is kept for a later attach.
     */
    static Optional<Release> release(long[] positions, long released) {
        long slowest = Long.MAX_VALUE;
        for (long p : positions) slowest = Math.min(slowest, p);
        long end = (slowest - KEEP) & ~4095L;
        if (slowest == Long.MAX_VALUE || end - released < RELEASE_STEP) return Optional.empty();
        return Optional.of(new Release(released, end));
    }

    /**
     * A reader of {@code file} moved on: release what every open reader of it has consumed. A reader that has not
     * opened the file yet counts as at 0, so nothing is released under a new attacher's feet.
     */
    private void consumed(Path file) {
        // under the lock a new reader takes to find where the data starts: it then sees either this release or,
        // having registered at 0 before the scan, holds it back
        synchronized (released) {
            long[] positions = readers.stream().filter(r -> r.file.equals(file)).mapToLong(r -> r.position).toArray();
            Optional<Release> release = release(positions, released.getOrDefault(file, 0L));
            if (release.isEmpty()) return;
            released.put(file, release.get().end());
            try {
                SparseFiles.punchHole(file, release.get().from(), release.get().end() - release.get().from());
            } catch (IOException e) {
                // the filesystem cannot (or the file is gone): the output simply stays
                LOG.debug("cannot release consumed output of {}: {}", file, e.toString());
            }
        }
    }

    private long changeCount() {
        lock.lock();
        try {
            return changes;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Follows one output file by offset until the process has ended and the file is read to its end. It starts where
     * the file's data starts: output that all earlier readers consumed may have been released.
     */
    private final class Reader extends InputStream implements FileBackedOutput {
        private final Path file;
        private FileChannel channel;
        private volatile long position;
        /** When this reader next checks whether consumed output can be released. */
        private long nextRelease = KEEP + RELEASE_STEP;
        private volatile boolean closed;

        Reader(Path file) {
            this.file = file;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            while (true) {
                if (closed) return -1;
                long seen = changeCount();
                // observed before the read: the monitor completes the files before it records the exit
                boolean done = ended.getAsBoolean();
                if (openIfPresent()) {
                    int n = channel.read(ByteBuffer.wrap(b, off, len), position);
                    if (n > 0) {
                        advance(n);
                        return n;
                    }
                }
                if (done) return -1;
                awaitChange(seen);
            }
        }

        /** As {@link #read}, but each range that has appeared goes to {@code sink} whole, up to {@link #MAX_RANGE}. */
        @Override
        public void sendTo(FileRangeSink sink) throws IOException {
            while (true) {
                if (closed) return;
                long seen = changeCount();
                boolean done = ended.getAsBoolean();
                if (openIfPresent()) {
                    long available = channel.size() - position;
                    if (available > 0) {
                        long n = Math.min(available, MAX_RANGE);
                        sink.sendFileRange(channel, position, n);
                        advance(n);
                        continue;
                    }
                }
                if (done) return;
                awaitChange(seen);
            }
        }

        /** Opens the file where its data starts, once it exists; false while it does not. */
        private boolean openIfPresent() throws IOException {
            if (channel != null) return true;
            try {
                channel = FileChannel.open(file, StandardOpenOption.READ);
                synchronized (released) {
                    position = SparseFiles.dataStart(file);
                }
                return true;
            } catch (NoSuchFileException e) {
                if (channel != null) channel.close();
                channel = null;
                return false;
            }
        }

        private void advance(long n) {
            position += n;
            if (position >= nextRelease) {
                consumed(file);
                nextRelease = position + RELEASE_STEP;
            }
        }

        private void awaitChange(long seen) {
            lock.lock();
            try {
                if (changes == seen && !closed) {
                    changed.await(READ_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                closed = true;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            closed = true;
            readers.remove(this);
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (channel != null) channel.close();
        }
    }
}
