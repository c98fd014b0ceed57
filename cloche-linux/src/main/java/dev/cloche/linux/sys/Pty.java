package dev.cloche.linux.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A host pseudo-terminal pair, opened with FFM. The slave becomes the runtime's stdio; the master is read and
 * written here. Reads block in native code, so they belong on platform threads.
 */
public final class Pty implements AutoCloseable {
    private static final int O_RDWR = 2;
    private static final int O_NOCTTY = 0x100;
    private static final int EINTR = 4;
    private static final int EIO = 5;
    private static final long TIOCSWINSZ = 0x5414;
    /** SIGWINCH on Linux x86/arm. */
    public static final int SIGWINCH = 28;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");
    private static final MethodHandle POSIX_OPENPT = fn("posix_openpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle GRANTPT = fn("grantpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle UNLOCKPT = fn("unlockpt", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle PTSNAME_R = fn("ptsname_r", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle IOCTL = fn("ioctl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
            Linker.Option.firstVariadicArg(2), ERRNO_OPT);
    private static final MethodHandle READ = fn("read", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO_OPT);
    private static final MethodHandle WRITE = fn("write", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), ERRNO_OPT);
    private static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle KILL = fn("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT), ERRNO_OPT);

    private final int master;
    private final Path slave;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Pty(int master, Path slave) {
        this.master = master;
        this.slave = slave;
    }

    private static MethodHandle fn(String name, FunctionDescriptor d, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d, options);
    }

    /** Opens a pair with the given window; the master is not this JVM's controlling terminal. */
    public static Pty open(int rows, int columns) throws IOException {
        try {
            int fd = (int) POSIX_OPENPT.invokeExact(O_RDWR | O_NOCTTY);
            if (fd < 0) throw new IOException("posix_openpt failed");
            Pty p;
            try (Arena a = Arena.ofConfined()) {
                MemorySegment name = a.allocate(128);
                if ((int) GRANTPT.invokeExact(fd) != 0 || (int) UNLOCKPT.invokeExact(fd) != 0
                        || (int) PTSNAME_R.invokeExact(fd, name, 128L) != 0) {
                    int ignored = (int) CLOSE.invokeExact(fd);
                    throw new IOException("cannot unlock pty");
                }
                p = new Pty(fd, Path.of(name.getString(0)));
            }
            p.resize(rows, columns);
            return p;
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public Path slave() {
        return slave;
    }

    /** Sets the window (TIOCSWINSZ); the kernel signals the terminal's foreground group, if it has one. */
    public synchronized void resize(int rows, int columns) throws IOException {
        if (closed.get()) throw new IOException("pty closed");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment ws = a.allocate(MemoryLayout.sequenceLayout(4, JAVA_SHORT));
            ws.setAtIndex(JAVA_SHORT, 0, (short) rows);
            ws.setAtIndex(JAVA_SHORT, 1, (short) columns);
            MemorySegment st = a.allocate(STATE);
            int rc = (int) IOCTL.invokeExact(st, master, TIOCSWINSZ, ws);
            if (rc != 0) throw new IOException("TIOCSWINSZ failed: errno " + (int) ERRNO.get(st, 0L));
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Reads from the master; -1 once every slave is closed (EIO). */
    public int read(byte[] buf) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(buf.length);
            MemorySegment st = a.allocate(STATE);
            while (true) {
                long n = (long) READ.invokeExact(st, master, b, (long) buf.length);
                if (n > 0) {
                    MemorySegment.copy(b, JAVA_BYTE_LAYOUT, 0, buf, 0, (int) n);
                    return (int) n;
                }
                if (n == 0) return -1;
                int errno = (int) ERRNO.get(st, 0L);
                if (errno == EINTR) continue;
                if (errno == EIO) return -1;
                throw new IOException("read from pty failed: errno " + errno);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    public synchronized void write(byte[] buf, int off, int len) throws IOException {
        if (closed.get()) throw new IOException("pty closed");
        try (Arena a = Arena.ofConfined()) {
            MemorySegment b = a.allocate(Math.max(1, len));
            MemorySegment.copy(buf, off, b, JAVA_BYTE_LAYOUT, 0, len);
            MemorySegment st = a.allocate(STATE);
            long done = 0;
            while (done < len) {
                long n = (long) WRITE.invokeExact(st, master, b.asSlice(done), len - done);
                if (n < 0) {
                    int errno = (int) ERRNO.get(st, 0L);
                    if (errno == EINTR) continue;
                    throw new IOException("write to pty failed: errno " + errno);
                }
                done += n;
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** kill(2) with any signal; ProcessHandle offers only TERM and KILL. */
    public static boolean signal(long pid, int signo) {
        try (Arena a = Arena.ofConfined()) {
            return (int) KILL.invokeExact(a.allocate(STATE), (int) pid, signo) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public synchronized void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                int ignored = (int) CLOSE.invokeExact(master);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    private static final java.lang.foreign.ValueLayout.OfByte JAVA_BYTE_LAYOUT = java.lang.foreign.ValueLayout.JAVA_BYTE;
}
