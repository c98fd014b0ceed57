package dev.cloche.linux.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Runs a command with glibc's posix_spawn(3) through FFM, stdin on /dev/null and stdout and stderr on one pipe, and
 * returns what it printed and its exit status. It is on the path of every Garden process start ({@code
 * cloche-monitor}): {@link ProcessBuilder} goes through {@code jspawnhelper} (a second exec) and reports the exit
 * through its reaper thread, together about 3 ms per start on this VM (docs/benchmarks.md, exec).
 *
 * <p>The child gets an empty signal mask and default dispositions (the JVM's would otherwise leak into it). Its
 * output is read through {@code /proc/self/fd/N}, a {@link FileInputStream}, so a virtual thread waiting for it
 * does not pin its carrier; only the final waitpid(2) is a native wait, and it comes after the child closed its
 * output, that is when it is exiting.
 */
final class PosixSpawn {
    private static final int O_RDONLY = 0;
    private static final int O_WRONLY_CREAT_TRUNC = 0x1 | 0x40 | 0x200;
    private static final int O_CLOEXEC = 0x80000;
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    private static final short POSIX_SPAWN_SETPGROUP = 0x02;
    private static final int SIGKILL = 9;
    private static final int EINTR = 4;
    /** Larger than glibc's posix_spawn_file_actions_t (80 bytes), posix_spawnattr_t (336) and sigset_t (128). */
    private static final long OPAQUE = 1024;

    private static final MethodHandle PIPE2 = Libc.fn("pipe2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Libc.ERRNO);
    private static final MethodHandle CLOSE = Libc.fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle FA_INIT = Libc.fn("posix_spawn_file_actions_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FA_DESTROY = Libc.fn("posix_spawn_file_actions_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle FA_OPEN = Libc.fn("posix_spawn_file_actions_addopen",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    private static final MethodHandle FA_DUP2 = Libc.fn("posix_spawn_file_actions_adddup2",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
    /** glibc 2.34+: without it the JVM's descriptors that lack close-on-exec would leak into the child. */
    private static final MethodHandle FA_CLOSEFROM = Libc.fn("posix_spawn_file_actions_addclosefrom_np",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle AT_INIT = Libc.fn("posix_spawnattr_init", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle AT_DESTROY = Libc.fn("posix_spawnattr_destroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle AT_FLAGS = Libc.fn("posix_spawnattr_setflags", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_SHORT));
    private static final MethodHandle AT_SIGMASK = Libc.fn("posix_spawnattr_setsigmask", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle AT_PGROUP = Libc.fn("posix_spawnattr_setpgroup", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle KILL = Libc.fn("kill", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle AT_SIGDEFAULT = Libc.fn("posix_spawnattr_setsigdefault", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle SIGEMPTYSET = Libc.fn("sigemptyset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SIGFILLSET = Libc.fn("sigfillset", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle SPAWN = Libc.fn("posix_spawn",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
    private static final MethodHandle WAITPID = Libc.fn("waitpid", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), Libc.ERRNO);

    private PosixSpawn() {}

    /**
     * Runs {@code argv} (an absolute path first) to its exit; its stdout and stderr, merged, are the result's stdout.
     * The child leads a process group of its own; if its output has not ended after {@code timeout}, the whole group
     * is killed (a hung runtime under {@code cloche-monitor} would otherwise hang the start, and the container's
     * process table with it) and the call throws {@link CommandTimedOut}.
     */
    static CommandResult run(List<String> argv, java.time.Duration timeout) throws IOException {
        int readFd;
        int pid;
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            MemorySegment fds = a.allocate(JAVA_INT, 2);
            if ((int) PIPE2.invokeExact(st, fds, O_CLOEXEC) != 0) {
                throw new IOException("pipe2: errno " + Libc.errno(st));
            }
            readFd = fds.getAtIndex(JAVA_INT, 0);
            int writeFd = fds.getAtIndex(JAVA_INT, 1);
            try {
                pid = spawn(a, argv, actions -> (int) FA_DUP2.invokeExact(actions, writeFd, 1)
                        | (int) FA_DUP2.invokeExact(actions, writeFd, 2));
            } catch (IOException | RuntimeException e) {
                closeFd(readFd);
                throw e;
            } finally {
                closeFd(writeFd);
            }
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        int group = pid;
        java.util.concurrent.atomic.AtomicBoolean killed = new java.util.concurrent.atomic.AtomicBoolean();
        Thread watchdog = Thread.ofVirtual().name("spawn-watchdog-" + pid).start(() -> {
            try {
                Thread.sleep(timeout);
                killed.set(true);
                int ignored = (int) KILL.invokeExact(-group, SIGKILL);
            } catch (InterruptedException e) {
                // the output ended in time
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        });
        byte[] out;
        try (InputStream in = new FileInputStream("/proc/self/fd/" + readFd)) {
            closeFd(readFd); // the stream holds its own open file description of the pipe
            out = in.readAllBytes();
        } catch (IOException e) {
            closeFd(readFd);
            reap(pid);
            watchdog.interrupt();
            throw e;
        }
        watchdog.interrupt(); // before the reap: the group's id must not outlive its leader's pid
        int code = reap(pid);
        if (killed.get()) throw new CommandTimedOut(argv, timeout);
        return new CommandResult(code, new String(out, StandardCharsets.UTF_8), "");
    }

    /**
     * Runs {@code argv} (an absolute path first) to its exit with stdin on /dev/null and stdout and stderr written to
     * the files {@code out} and {@code err} (created or truncated): for commands whose descendants keep their stdio
     * (the runtime's {@code create} hands it to the container's init), where reading a pipe to its end would wait for
     * the container. The exit is awaited through {@link ProcessHandle#onExit}, whose reaper thread waits without
     * reaping, so a virtual thread waiting here parks instead of pinning its carrier; the zombie is reaped after.
     * Past {@code timeout} the child's process group is killed and the call throws {@link CommandTimedOut}.
     */
    static int runToFiles(List<String> argv, java.nio.file.Path out, java.nio.file.Path err, java.time.Duration timeout)
            throws IOException {
        int pid;
        try (Arena a = Arena.ofConfined()) {
            pid = spawn(a, argv, actions -> (int) FA_OPEN.invokeExact(actions, 1, a.allocateFrom(out.toString()), O_WRONLY_CREAT_TRUNC, 0600)
                    | (int) FA_OPEN.invokeExact(actions, 2, a.allocateFrom(err.toString()), O_WRONLY_CREAT_TRUNC, 0600));
        }
        // a zombie child still has a handle: of() finds it whether or not it has exited yet
        java.util.concurrent.CompletableFuture<ProcessHandle> exit = ProcessHandle.of(pid).orElseThrow().onExit();
        boolean killed = false;
        try {
            exit.get(timeout.toNanos(), java.util.concurrent.TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            killed = true;
            // descendants first, as they are, then the group: a hung runtime may have started an init in a session
            // of its own, which the group's kill would miss
            ProcessHandle.of(pid).ifPresent(h -> h.descendants().forEach(ProcessHandle::destroyForcibly));
            killGroup(pid);
            try {
                exit.get(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException | InterruptedException x) {
                // reaped below in any case: SIGKILL cannot be ignored
            }
        } catch (java.util.concurrent.ExecutionException e) {
            // the wait itself failed: the reap below still collects the child
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            killGroup(pid);
            reap(pid);
            throw new IOException("interrupted while running " + argv.getFirst(), e);
        }
        int code = reap(pid);
        if (killed) throw new CommandTimedOut(argv, timeout);
        return code;
    }

    /** Adds the file actions that give the child its stdout and stderr; non-zero if one could not be added. */
    private interface Outputs {
        int add(MemorySegment actions) throws Throwable;
    }

    /**
     * Spawns {@code argv} with stdin on /dev/null, stdout and stderr as {@code outputs} says, no other descriptor, an
     * empty signal mask, default dispositions and a process group of its own; its pid.
     */
    private static int spawn(Arena a, List<String> argv, Outputs outputs) throws IOException {
        MemorySegment actions = a.allocate(OPAQUE, 16);
        MemorySegment attr = a.allocate(OPAQUE, 16);
        MemorySegment none = a.allocate(OPAQUE, 16);
        MemorySegment all = a.allocate(OPAQUE, 16);
        try {
            int r = (int) FA_INIT.invokeExact(actions);
            r |= (int) AT_INIT.invokeExact(attr);
            try {
                r |= (int) FA_OPEN.invokeExact(actions, 0, a.allocateFrom("/dev/null"), O_RDONLY, 0);
                r |= outputs.add(actions);
                r |= (int) FA_CLOSEFROM.invokeExact(actions, 3);
                r |= (int) SIGEMPTYSET.invokeExact(none);
                r |= (int) SIGFILLSET.invokeExact(all);
                r |= (int) AT_FLAGS.invokeExact(attr, (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP));
                r |= (int) AT_PGROUP.invokeExact(attr, 0);
                r |= (int) AT_SIGMASK.invokeExact(attr, none);
                r |= (int) AT_SIGDEFAULT.invokeExact(attr, all);
                if (r != 0) throw new IOException("cannot prepare posix_spawn");
                MemorySegment pidOut = a.allocate(JAVA_INT);
                int e = (int) SPAWN.invokeExact(pidOut, a.allocateFrom(argv.getFirst()), actions, attr,
                        strings(a, argv), strings(a, environment()));
                if (e != 0) throw new IOException("cannot run " + argv.getFirst() + ": errno " + e);
                return pidOut.get(JAVA_INT, 0);
            } finally {
                int ignored = (int) FA_DESTROY.invokeExact(actions);
                ignored = (int) AT_DESTROY.invokeExact(attr);
            }
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void killGroup(int leader) {
        try {
            int ignored = (int) KILL.invokeExact(-leader, SIGKILL);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** close(2), its result ignored: for descriptors this package opened through FFM. */
    static void closeFd(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** waitpid for our own child: its exit status, 128+signal if a signal ended it. */
    private static int reap(int pid) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            MemorySegment status = a.allocate(JAVA_INT);
            while (true) {
                int r = (int) WAITPID.invokeExact(st, pid, status, 0);
                if (r == pid) break;
                if (Libc.errno(st) != EINTR) return 255;
            }
            int s = status.get(JAVA_INT, 0);
            return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static List<String> environment() {
        return System.getenv().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList();
    }

    /** A NULL-terminated array of C strings. */
    private static MemorySegment strings(Arena a, List<String> values) {
        MemorySegment array = a.allocate(ADDRESS, values.size() + 1L);
        for (int i = 0; i < values.size(); i++) {
            array.setAtIndex(ADDRESS, i, a.allocateFrom(values.get(i)));
        }
        array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
        return array;
    }
}
