package dev.cloche.linux.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The write end of a named pipe, opened {@code O_WRONLY|O_NONBLOCK} with FFM. Java's own open blocks forever when
 * the FIFO has no reader (the process has exited or closed its stdin); this one fails at once with {@code ENXIO},
 * which {@link #openWriter} reports as empty. Writes never block in native code (a full pipe is retried after a
 * short sleep), so a process that stops reading cannot pin a virtual thread's carrier.
 */
public final class Fifo implements AutoCloseable {
    private static final int O_WRONLY = 1;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EINTR = 4;
    private static final int ENXIO = 6;
    private static final int ENOENT = 2;
    private static final int EAGAIN = 11;
    private static final int BUFFER = 65536;

    private static final MethodHandle OPEN = Libc.fn("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2), Libc.ERRNO);
    private static final MethodHandle WRITE = Libc.fn("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), Libc.ERRNO);
    private static final MethodHandle CLOSE = Libc.fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private final Arena arena = Arena.ofShared();
    private final MemorySegment buffer = arena.allocate(BUFFER);
    private final MemorySegment state = arena.allocate(Libc.CALL_STATE);
    private final Path path;
    private int fd;

    private Fifo(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Opens the FIFO for writing; empty when nobody reads it any more (ENXIO) or it does not exist. */
    public static Optional<Fifo> openWriter(Path path) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            while (true) {
                int fd = (int) OPEN.invokeExact(st, a.allocateFrom(path.toString()), O_WRONLY | O_NONBLOCK | O_CLOEXEC, 0);
                if (fd >= 0) return Optional.of(new Fifo(path, fd));
                int errno = Libc.errno(st);
                if (errno == EINTR) continue;
                if (errno == ENXIO || errno == ENOENT) return Optional.empty();
                throw new IOException("cannot open " + path + ": errno " + errno);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /**
     * Writes all of {@code buf[off, off+len)}, waiting while the pipe is full. Throws when the reader is gone
     * ({@code EPIPE}; the JVM ignores SIGPIPE) or the FIFO was closed.
     */
    public synchronized void write(byte[] buf, int off, int len) throws IOException {
        while (len > 0) {
            if (fd < 0) throw new IOException(path + " is closed");
            int chunk = Math.min(len, BUFFER);
            MemorySegment.copy(buf, off, buffer, JAVA_BYTE, 0, chunk);
            long done = 0;
            while (done < chunk) {
                long n;
                try {
                    n = (long) WRITE.invokeExact(state, fd, buffer.asSlice(done), chunk - done);
                } catch (Throwable t) {
                    throw new IllegalStateException(t);
                }
                if (n >= 0) {
                    done += n;
                    continue;
                }
                int errno = Libc.errno(state);
                if (errno == EINTR) continue;
                if (errno != EAGAIN) throw new IOException("write to " + path + " failed: errno " + errno);
                try {
                    Thread.sleep(1); // the reader is behind: back-pressure, never a blocked native call
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted writing to " + path);
                }
            }
            off += chunk;
            len -= chunk;
        }
    }

    /** Writes one short line atomically (at most PIPE_BUF bytes), for control FIFOs. */
    public static boolean writeLine(Path path, String line) throws IOException {
        Optional<Fifo> f = openWriter(path);
        if (f.isEmpty()) return false;
        try (Fifo fifo = f.get()) {
            byte[] b = (line + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            fifo.write(b, 0, b.length);
            return true;
        }
    }

    @Override
    public synchronized void close() {
        if (fd < 0) return;
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        } finally {
            fd = -1;
            arena.close();
        }
    }
}
