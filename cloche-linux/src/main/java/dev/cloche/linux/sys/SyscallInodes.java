package dev.cloche.linux.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** {@link Inodes} through FFM: statx, lchown, chmod, utimensat, the l*xattr family and mknod. */
final class SyscallInodes implements Inodes {
    static final SyscallInodes INSTANCE = new SyscallInodes();

    private static final int AT_FDCWD = -100;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int STATX_BASIC_STATS = 0x7ff;
    private static final int EINTR = 4;
    private static final int ENOENT = 2;
    private static final int EEXIST = 17;
    private static final int ERANGE = 34;
    private static final int ENODATA = 61;

    private static final MethodHandle STATX = Libc.fn("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), Libc.ERRNO);
    private static final MethodHandle LCHOWN = Libc.fn("lchown", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Libc.ERRNO);
    private static final MethodHandle CHMOD = Libc.fn("chmod", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Libc.ERRNO);
    private static final MethodHandle UTIMENSAT = Libc.fn("utimensat",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_INT), Libc.ERRNO);
    private static final MethodHandle LSETXATTR = Libc.fn("lsetxattr",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT), Libc.ERRNO);
    private static final MethodHandle LLISTXATTR = Libc.fn("llistxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), Libc.ERRNO);
    private static final MethodHandle LGETXATTR = Libc.fn("lgetxattr",
            FunctionDescriptor.of(JAVA_LONG, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG), Libc.ERRNO);
    private static final MethodHandle MKNOD = Libc.fn("mknod", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG), Libc.ERRNO);
    private static final MethodHandle STRERROR = Libc.fn("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private SyscallInodes() {}

    @Override
    public InodeStat lstat(Path path) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            MemorySegment buf = a.allocate(256);
            MemorySegment p = a.allocateFrom(path.toString());
            int r;
            do {
                r = (int) STATX.invokeExact(st, AT_FDCWD, p, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, buf);
            } while (r != 0 && Libc.errno(st) == EINTR);
            if (r != 0) throw failure(Libc.errno(st), path, "statx");
            // struct statx (linux/stat.h): the same layout on every architecture
            return new InodeStat(Short.toUnsignedInt(buf.get(JAVA_SHORT, 28)),
                    Integer.toUnsignedLong(buf.get(JAVA_INT, 20)), Integer.toUnsignedLong(buf.get(JAVA_INT, 24)),
                    Integer.toUnsignedLong(buf.get(JAVA_INT, 128)), Integer.toUnsignedLong(buf.get(JAVA_INT, 132)),
                    buf.get(JAVA_LONG, 40), buf.get(JAVA_LONG, 48) * 512, Integer.toUnsignedLong(buf.get(JAVA_INT, 16)),
                    (Integer.toUnsignedLong(buf.get(JAVA_INT, 136)) << 32) | Integer.toUnsignedLong(buf.get(JAVA_INT, 140)),
                    buf.get(JAVA_LONG, 32),
                    Instant.ofEpochSecond(buf.get(JAVA_LONG, 112), Integer.toUnsignedLong(buf.get(JAVA_INT, 120))));
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void lchown(Path path, long uid, long gid) throws IOException {
        call(path, "lchown", (a, st, p) -> (int) LCHOWN.invokeExact(st, p, (int) uid, (int) gid));
    }

    @Override
    public void chmod(Path path, int mode) throws IOException {
        call(path, "chmod", (a, st, p) -> (int) CHMOD.invokeExact(st, p, mode & 07777));
    }

    @Override
    public void setModified(Path path, Instant modified) throws IOException {
        call(path, "utimensat", (a, st, p) -> {
            MemorySegment times = a.allocate(32);
            for (int i = 0; i < 2; i++) {
                times.set(JAVA_LONG, i * 16, modified.getEpochSecond());
                times.set(JAVA_LONG, i * 16 + 8, modified.getNano());
            }
            return (int) UTIMENSAT.invokeExact(st, AT_FDCWD, p, times, AT_SYMLINK_NOFOLLOW);
        });
    }

    @Override
    public void setXattr(Path path, String name, byte[] value) throws IOException {
        call(path, "lsetxattr " + name, (a, st, p) -> {
            MemorySegment v = a.allocate(Math.max(1, value.length));
            MemorySegment.copy(value, 0, v, JAVA_BYTE, 0, value.length);
            return (int) LSETXATTR.invokeExact(st, p, a.allocateFrom(name), v, (long) value.length, 0);
        });
    }

    @Override
    public Map<String, byte[]> xattrs(Path path) throws IOException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            MemorySegment p = a.allocateFrom(path.toString());
            for (long size = 1024; ; size *= 4) {
                MemorySegment list = a.allocate(size);
                long n = (long) LLISTXATTR.invokeExact(st, p, list, size);
                if (n < 0 && Libc.errno(st) == ERANGE && size < (1 << 20)) continue;
                if (n < 0) throw failure(Libc.errno(st), path, "llistxattr");
                byte[] names = list.asSlice(0, n).toArray(JAVA_BYTE);
                int start = 0;
                for (int i = 0; i < names.length; i++) {
                    if (names[i] != 0) continue;
                    String name = new String(names, start, i - start, StandardCharsets.UTF_8);
                    start = i + 1;
                    value(a, st, p, path, name).ifPresent(v -> out.put(name, v));
                }
                return out;
            }
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static Optional<byte[]> value(Arena a, MemorySegment st, MemorySegment p, Path path, String name) throws Throwable {
        MemorySegment n = a.allocateFrom(name);
        for (long size = 256; ; size *= 4) {
            MemorySegment v = a.allocate(size);
            long r = (long) LGETXATTR.invokeExact(st, p, n, v, size);
            if (r >= 0) return Optional.of(v.asSlice(0, r).toArray(JAVA_BYTE));
            int errno = Libc.errno(st);
            if (errno == ENODATA) return Optional.empty(); // removed between list and get
            if (errno != ERANGE || size > (1 << 20)) throw failure(errno, path, "lgetxattr " + name);
        }
    }

    @Override
    public void makeWhiteout(Path path) throws IOException {
        call(path, "mknod (whiteout)", (a, st, p) -> (int) MKNOD.invokeExact(st, p, InodeStat.S_IFCHR, 0L));
    }

    @Override
    public void makeFifo(Path path, int mode) throws IOException {
        call(path, "mknod (fifo)", (a, st, p) -> (int) MKNOD.invokeExact(st, p, InodeStat.S_IFIFO | (mode & 0777), 0L));
    }

    private interface Call {
        int invoke(Arena a, MemorySegment state, MemorySegment path) throws Throwable;
    }

    private static void call(Path path, String what, Call call) throws IOException {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            MemorySegment p = a.allocateFrom(path.toString());
            while (true) {
                if (call.invoke(a, st, p) == 0) return;
                int errno = Libc.errno(st);
                if (errno != EINTR) throw failure(errno, path, what);
            }
        } catch (IOException | RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static IOException failure(int errno, Path path, String what) throws Throwable {
        String text = ((MemorySegment) STRERROR.invokeExact(errno)).reinterpret(256).getString(0);
        return switch (errno) {
            case ENOENT -> new NoSuchFileException(path.toString(), null, what + ": " + text);
            case EEXIST -> new FileAlreadyExistsException(path.toString(), null, what + ": " + text);
            default -> new FileSystemException(path.toString(), null, what + ": " + text + " (errno " + errno + ")");
        };
    }
}
