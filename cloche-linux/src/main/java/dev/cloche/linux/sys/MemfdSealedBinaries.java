package dev.cloche.linux.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link SealedBinaries} in memfds (memfd_create(2)) sealed against every change (F_SEAL_SEAL, SHRINK, GROW and
 * WRITE: the seals runc and crun look for before they skip their own copy), executed as
 * {@code /proc/<daemon pid>/fd/<n>}, so the fds need not be inherited. Only ELF files are copied: a script's
 * interpreter opens it by its path, so a copy would only change what the script sees as {@code $0}.
 */
final class MemfdSealedBinaries implements SealedBinaries {
    private static final Logger LOG = LoggerFactory.getLogger(MemfdSealedBinaries.class);
    private static final int MFD_CLOEXEC = 0x1;
    private static final int MFD_ALLOW_SEALING = 0x2;
    /** Linux 6.3+: an executable memfd says so, or the kernel logs a warning (and may refuse, vm.memfd_noexec). */
    private static final int MFD_EXEC = 0x10;
    private static final int EINVAL = 22;
    private static final int F_ADD_SEALS = 1033;
    private static final int F_GET_SEALS = 1034;
    static final int ALL_SEALS = 0x1 | 0x2 | 0x4 | 0x8;

    private static final MethodHandle MEMFD_CREATE = Libc.fn("memfd_create", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT),
            Libc.ERRNO);
    private static final MethodHandle FCNTL = Libc.fn("fcntl", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2), Libc.ERRNO);

    /** What says a binary on disk is still the one copied: its inode, size and modification time. */
    private record Stamp(Object inode, long size, FileTime modified) {}

    private record Copy(Stamp stamp, Path path) {}

    private final CommandRunner runner;
    private final Map<Path, Copy> copies = new HashMap<>();
    /** Binaries that could not be copied or run from a copy, as they were then: not tried again until they change. */
    private final Map<Path, Stamp> refused = new HashMap<>();
    private final List<Integer> fds = new ArrayList<>();
    private boolean closed;

    MemfdSealedBinaries(CommandRunner runner) {
        this.runner = runner;
    }

    @Override
    public synchronized Path executable(Path binary) {
        if (closed) return binary;
        Stamp now;
        try {
            now = stamp(binary);
        } catch (IOException e) {
            return binary; // the call then fails with the runtime's own words about its binary
        }
        Copy c = copies.get(binary);
        if (c != null && c.stamp().equals(now)) return c.path();
        if (now.equals(refused.get(binary))) return binary;
        try {
            if (!isElf(binary)) {
                refused.put(binary, now);
                return binary;
            }
            Path copy = copy(binary, now);
            CommandResult r = runner.run(List.of(copy.toString(), "--version"));
            if (r.exitCode() != 0) {
                throw new IOException("the copy's --version exited " + r.exitCode() + ": " + r.stderr().strip());
            }
            if (c != null) LOG.info("{} changed on disk: running the new version from a fresh sealed copy", binary);
            copies.put(binary, new Copy(now, copy));
            return copy;
        } catch (IOException | RuntimeException e) {
            refused.put(binary, now);
            LOG.warn("cannot run {} from a sealed in-memory copy ({}): running it from its file, where it makes such a "
                    + "copy itself on every call", binary, e.getMessage());
            return c != null ? c.path() : binary;
        }
    }

    private static Stamp stamp(Path binary) throws IOException {
        BasicFileAttributes a = Files.readAttributes(binary, BasicFileAttributes.class);
        return new Stamp(a.fileKey(), a.size(), a.lastModifiedTime());
    }

    private static boolean isElf(Path binary) throws IOException {
        try (InputStream in = Files.newInputStream(binary)) {
            byte[] magic = in.readNBytes(4);
            return magic.length == 4 && magic[0] == 0x7f && magic[1] == 'E' && magic[2] == 'L' && magic[3] == 'F';
        }
    }

    /** A sealed memfd holding {@code binary} as {@code stamp} describes it; its fd stays open until {@link #close}. */
    private Path copy(Path binary, Stamp stamp) throws IOException {
        int fd = memfd(binary.getFileName().toString());
        boolean kept = false;
        try {
            try (FileChannel in = FileChannel.open(binary, StandardOpenOption.READ);
                 FileChannel out = FileChannel.open(Path.of("/proc/self/fd/" + fd), StandardOpenOption.WRITE)) {
                long size = in.size();
                for (long at = 0; at < size; ) {
                    long n = in.transferTo(at, size - at, out);
                    if (n <= 0) throw new IOException("short copy of " + binary + " at " + at + " of " + size);
                    at += n;
                }
            }
            if (!stamp(binary).equals(stamp)) throw new IOException(binary + " changed while it was copied");
            seal(fd);
            fds.add(fd);
            kept = true;
            return Path.of("/proc/" + ProcessHandle.current().pid() + "/fd/" + fd);
        } finally {
            if (!kept) PosixSpawn.closeFd(fd);
        }
    }

    private static int memfd(String name) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            MemorySegment n = a.allocateFrom(name);
            int fd = (int) MEMFD_CREATE.invokeExact(st, n, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
            if (fd < 0 && Libc.errno(st) == EINVAL) {
                fd = (int) MEMFD_CREATE.invokeExact(st, n, MFD_CLOEXEC | MFD_ALLOW_SEALING); // before Linux 6.3
            }
            if (fd < 0) throw new IOException("memfd_create: errno " + Libc.errno(st));
            return fd;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static void seal(int fd) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            if ((int) FCNTL.invokeExact(st, fd, F_ADD_SEALS, ALL_SEALS) != 0) {
                throw new IOException("F_ADD_SEALS: errno " + Libc.errno(st));
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** The seals of the memfd behind {@code copy}, a path this class returned in this process (tests). */
    static int seals(Path copy) throws IOException {
        int fd = Integer.parseInt(copy.getFileName().toString());
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            int seals = (int) FCNTL.invokeExact(st, fd, F_GET_SEALS, 0);
            if (seals < 0) throw new IOException("F_GET_SEALS: errno " + Libc.errno(st));
            return seals;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) return;
        closed = true;
        fds.forEach(PosixSpawn::closeFd);
        fds.clear();
        copies.clear();
    }
}
