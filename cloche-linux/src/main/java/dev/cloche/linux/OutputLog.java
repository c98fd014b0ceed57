package dev.cloche.linux;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One output stream of a process, kept in a file from the first byte. A pump appends and signals; any number of
 * readers replay from byte 0 and then block on the condition until more arrives or the pump has hit EOF.
 */
final class OutputLog implements AutoCloseable {
    private final Path file;
    private final OutputStream out;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private long length;
    private boolean finished;

    OutputLog(Path file) throws IOException {
        this.file = file;
        this.out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }

    /** Copies {@code in} into the log until EOF, then marks it finished. */
    void pump(InputStream in) {
        byte[] buf = new byte[16384];
        try (in) {
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                lock.lock();
                try {
                    length += n;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        } catch (IOException e) {
            // the child's pipe broke: whatever arrived is kept, the log ends here
        } finally {
            finish();
        }
    }

    void finish() {
        lock.lock();
        try {
            finished = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        try {
            out.close();
        } catch (IOException e) {
            // nothing more will be written
        }
    }

    boolean finished() {
        lock.lock();
        try {
            return finished;
        } finally {
            lock.unlock();
        }
    }

    InputStream open() {
        return new Reader();
    }

    @Override
    public void close() {
        finish();
    }

    private final class Reader extends InputStream {
        private long position;
        private boolean closed;
        private FileChannel channel;

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            long available;
            lock.lock();
            try {
                while (!closed && position >= length && !finished) {
                    changed.awaitUninterruptibly();
                }
                if (closed) return -1;
                available = length - position;
                if (available <= 0) return -1;
            } finally {
                lock.unlock();
            }
            if (channel == null) {
                channel = FileChannel.open(file, StandardOpenOption.READ);
            }
            int n = channel.read(ByteBuffer.wrap(b, off, (int) Math.min(len, available)), position);
            if (n < 0) return -1;
            position += n;
            return n;
        }

        @Override
        public int available() {
            lock.lock();
            try {
                return (int) Math.min(Integer.MAX_VALUE, Math.max(0, length - position));
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            lock.lock();
            try {
                closed = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (channel != null) channel.close();
        }
    }
}
