package dev.cloche.linux.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Holes in files, the sparse-file operations the JDK lacks, with FFM: releasing a file's consumed prefix ({@code fallocate} with
 * {@code PUNCH_HOLE|KEEP_SIZE}) while another process still appends to it, and finding where its data starts again
 * ({@code lseek SEEK_DATA}). Process output files use them so that output every reader has consumed stops
 * occupying memory (tmpfs) or disk, while offsets stay valid for everyone.
 */
public final class SparseFiles {
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int FALLOC_FL_KEEP_SIZE = 1;
    private static final int FALLOC_FL_PUNCH_HOLE = 2;
    private static final int SEEK_DATA = 3;
    private static final int SEEK_END = 2;
    private static final int EINTR = 4;
    private static final int ENXIO = 6;

    private static final MethodHandle OPEN = Libc.fn("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2), Libc.ERRNO);
    private static final MethodHandle FALLOCATE = Libc.fn("fallocate",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG), Libc.ERRNO);
    private static final MethodHandle LSEEK = Libc.fn("lseek", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, JAVA_LONG, JAVA_INT), Libc.ERRNO);
    private static final MethodHandle CLOSE = Libc.fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private SparseFiles() {}

    /** Releases the storage of {@code [offset, offset+length)}; reads of it return zeros, the size is unchanged. */
    public static void punchHole(Path file, long offset, long length) throws IOException {
        if (length <= 0) return;
        withFile(file, (st, fd) -> {
            while (true) {
                int r = (int) FALLOCATE.invokeExact(st, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
                if (r == 0) return null;
                int errno = Libc.errno(st);
                if (errno != EINTR) throw new IOException("cannot release " + file + " [" + offset + "+" + length + "): errno " + errno);
            }
        });
    }

    /** The offset of the file's first byte of data: 0 for a file without holes, its size when it holds only holes. */
    public static long dataStart(Path file) throws IOException {
        return withFile(file, (st, fd) -> {
            // the size first: the file may grow between the calls, and output appended after a "no data" answer
            // must not be skipped (ENXIO then means [0, size) was empty or released)
            long size = (long) LSEEK.invokeExact(st, fd, 0L, SEEK_END);
            if (size < 0) throw new IOException("cannot seek in " + file + ": errno " + Libc.errno(st));
            long off = (long) LSEEK.invokeExact(st, fd, 0L, SEEK_DATA);
            if (off >= 0) return off;
            int errno = Libc.errno(st);
            if (errno != ENXIO) throw new IOException("cannot seek in " + file + ": errno " + errno);
            return size;
        });
    }

    /** A call on an open descriptor of a file, with errno captured into {@code state}. */
    private interface FdCall<T> {
        T apply(MemorySegment state, int fd) throws Throwable;
    }

    /** Opens {@code file}, runs {@code call} on it and closes it; native failures other than I/O are bugs. */
    private static <T> T withFile(Path file, FdCall<T> call) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            int fd = open(a, st, file);
            try {
                return call.apply(st, fd);
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int open(Arena a, MemorySegment st, Path file) throws Throwable {
        while (true) {
            int fd = (int) OPEN.invokeExact(st, a.allocateFrom(file.toString()), O_RDWR | O_CLOEXEC, 0);
            if (fd >= 0) return fd;
            int errno = Libc.errno(st);
            if (errno == 2) throw new java.nio.file.NoSuchFileException(file.toString());
            if (errno != EINTR) throw new IOException("cannot open " + file + ": errno " + errno);
        }
    }
}
