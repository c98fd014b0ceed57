package dev.cloche.linux.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.time.Duration;
import java.util.Optional;

/**
 * A process file descriptor (pidfd_open(2), Linux 5.3+): signals reach the process it was opened for even if the pid
 * is recycled afterwards, and it becomes readable when that process exits, child of ours or not. The container's
 * destroy uses it to kill the init without forking the runtime and to wait for its exit without polling /proc.
 */
public final class Pidfd implements AutoCloseable {
    private static final long SYS_PIDFD_SEND_SIGNAL = 424;
    private static final long SYS_PIDFD_OPEN = 434;
    private static final short POLLIN = 1;
    private static final int EINTR = 4;

    private static final MethodHandle OPEN = Libc.fn("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG),
            Linker.Option.firstVariadicArg(1), Libc.ERRNO);
    private static final MethodHandle SEND = Libc.fn("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, JAVA_LONG), Linker.Option.firstVariadicArg(1), Libc.ERRNO);
    private static final MethodHandle POLL = Libc.fn("poll", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), Libc.ERRNO);
    private static final MethodHandle CLOSE = Libc.fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final StructLayout POLLFD = MemoryLayout.structLayout(JAVA_INT.withName("fd"), JAVA_SHORT.withName("events"),
            JAVA_SHORT.withName("revents"));

    private final int fd;
    private boolean closed;

    private Pidfd(int fd) {
        this.fd = fd;
    }

    /** The process {@code pid}, or empty when there is none (or the kernel has no pidfds). */
    public static Optional<Pidfd> open(long pid) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            long fd = (long) OPEN.invokeExact(st, SYS_PIDFD_OPEN, pid, 0L);
            return fd < 0 ? Optional.empty() : Optional.of(new Pidfd((int) fd));
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Sends {@code signal}; false if the process has exited already. */
    public boolean signal(int signal) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            return (long) SEND.invokeExact(st, SYS_PIDFD_SEND_SIGNAL, (long) fd, (long) signal, MemorySegment.NULL, 0L) == 0;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Waits until the process has exited (a zombie counts); false on timeout. */
    public boolean awaitExit(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            MemorySegment p = a.allocate(POLLFD);
            p.set(JAVA_INT, 0, fd);
            p.set(JAVA_SHORT, 4, POLLIN);
            while (true) {
                long left = Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
                int r = (int) POLL.invokeExact(st, p, 1L, (int) Math.min(left, Integer.MAX_VALUE));
                if (r > 0) return true;
                if (r == 0) return false;
                if (Libc.errno(st) != EINTR) return false;
            }
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
