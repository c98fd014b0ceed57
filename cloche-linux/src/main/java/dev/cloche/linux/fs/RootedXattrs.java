package dev.cloche.linux.fs;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import dev.cloche.linux.sys.Libc;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Sets extended attributes on files of a container, resolving every path with {@code openat2(RESOLVE_IN_ROOT)}
 * under a directory that stands for the container's root (docs/files.md §4): ".." and symlinks, even ones swapped in
 * meanwhile, stay below it, magic links are refused and the last component is never followed. Only {@code user.*}
 * attributes are set (others are ignored), only on regular files and directories, and only where the container user may (it owns the
 * file, or it is the container's root). Each path is opened {@code O_PATH}, checked with {@code statx} on the fd,
 * and its attributes are then read or written through {@code /proc/self/fd/N}.
 */
public final class RootedXattrs {
    static final int O_PATH = 0x200000;
    static final int O_DIRECTORY = 0x10000;
    private static final int O_NOFOLLOW = 0x20000;
    static final int O_CLOEXEC = 0x80000;
    private static final long RESOLVE_NO_MAGICLINKS = 0x02;
    private static final long RESOLVE_IN_ROOT = 0x10;
    private static final long SYS_OPENAT2 = 437; // x86_64 and aarch64 alike
    private static final int AT_EMPTY_PATH = 0x1000;
    private static final int AT_SYMLINK_NOFOLLOW = 0x100;
    private static final int STATX_TYPE = 0x1;
    private static final int STATX_MODE = 0x2;
    private static final int STATX_UID = 0x8;

    static final MethodHandle OPEN = Libc.fn("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2), Libc.ERRNO);
    private static final MethodHandle SYSCALL = Libc.fn("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), Linker.Option.firstVariadicArg(1), Libc.ERRNO);
    private static final MethodHandle STATX = Libc.fn("statx",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS), Libc.ERRNO);
    static final MethodHandle CLOSE = Libc.fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private RootedXattrs() {}

    /**
     * Applies {@code xattrs} (entry path relative to {@code dir} → name → value) under {@code root}.
     *
     * @param root host directory standing for the container's {@code /}, e.g. {@code /proc/<init>/root}
     * @param dir absolute container path the entry paths are relative to
     * @param hostUid the host uid of the user (its files' owner); {@code anyOwner} for the container's root
     * @return the {@code user.*} attributes that could not be set, one line each
     */
    public static List<String> apply(Path root, String dir, Map<String, Map<String, byte[]>> xattrs, long hostUid, boolean anyOwner)
            throws IOException {
        List<String> skipped = new ArrayList<>();
        if (xattrs.isEmpty()) return skipped;
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Libc.CALL_STATE);
            int rootFd = (int) OPEN.invokeExact(state, arena.allocateFrom(root.toString()), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
            if (rootFd < 0) throw new IOException("cannot open " + root + ": errno " + errno(state));
            try {
                for (Map.Entry<String, Map<String, byte[]>> e : xattrs.entrySet()) {
                    String rel = (dir + "/" + e.getKey()).replaceAll("^/+", "");
                    applyOne(arena, state, rootFd, rel.isEmpty() ? "." : rel, e.getValue(), hostUid, anyOwner, skipped);
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(rootFd);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
        return skipped;
    }

    private static void applyOne(Arena arena, MemorySegment state, int rootFd, String rel, Map<String, byte[]> attrs,
                                 long hostUid, boolean anyOwner, List<String> skipped) throws Throwable {
        int fd = openInRoot(arena, state, rootFd, rel);
        if (fd < 0) {
            skipped.add(rel + ": cannot open (errno " + errno(state) + ")");
            return;
        }
        try {
            long[] st = statx(arena, state, fd);
            if (st.length == 0 || !regularOrDirectory(st)) {
                skipped.add(rel + ": not a regular file or directory any more");
                return;
            }
            if (!anyOwner && st[1] != hostUid) {
                skipped.add(rel + ": not owned by the user");
                return;
            }
            UserDefinedFileAttributeView view = view(fd);
            for (Map.Entry<String, byte[]> a : attrs.entrySet()) {
                // security.*/trusted.* mean something else inside a user namespace (or need host privileges)
                if (!a.getKey().startsWith("user.")) continue;
                try {
                    view.write(a.getKey().substring("user.".length()), ByteBuffer.wrap(a.getValue()));
                } catch (IOException e) {
                    skipped.add(rel + ": " + a.getKey() + " (" + e.getMessage() + ")");
                }
            }
        } finally {
            int ignored = (int) CLOSE.invokeExact(fd);
        }
    }

    /**
     * The file behind an {@code O_PATH} fd, through its magic link. Only used once statx said it is a regular file
     * or directory, so following the link lands on that very inode.
     */
    private static UserDefinedFileAttributeView view(int fd) {
        return Files.getFileAttributeView(Path.of("/proc/self/fd/" + fd), UserDefinedFileAttributeView.class);
    }

    /** {@code openat2(O_PATH|O_NOFOLLOW, RESOLVE_IN_ROOT|RESOLVE_NO_MAGICLINKS)}: the fd, or -1 with errno set. */
    static int openInRoot(Arena arena, MemorySegment state, int rootFd, String rel) throws Throwable {
        MemorySegment how = arena.allocate(24);
        how.set(JAVA_LONG, 0, O_PATH | O_NOFOLLOW | O_CLOEXEC);
        how.set(JAVA_LONG, 8, 0);
        how.set(JAVA_LONG, 16, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        return (int) (long) SYSCALL.invokeExact(state, SYS_OPENAT2, (long) rootFd, arena.allocateFrom(rel), how, 24L);
    }

    /** {@code [mode, uid]} of the fd itself (a symlink is not followed), or empty. */
    static long[] statx(Arena arena, MemorySegment state, int fd) throws Throwable {
        MemorySegment buf = arena.allocate(256);
        int r = (int) STATX.invokeExact(state, fd, arena.allocateFrom(""), AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
                STATX_TYPE | STATX_MODE | STATX_UID, buf);
        if (r != 0) return new long[0];
        return new long[] {Short.toUnsignedInt(buf.get(JAVA_SHORT, 28)), Integer.toUnsignedLong(buf.get(JAVA_INT, 20))};
    }

    private static boolean regularOrDirectory(long[] st) {
        long type = st[0] & 0170000;
        return type == 0100000 || type == 0040000;
    }

    /**
     * Reads {@code user.*} attributes of files under one root, for stream-out. Holds the root's fd until closed.
     */
    public static final class Reader implements AutoCloseable {
        private final int rootFd;
        private boolean closed;

        private Reader(int rootFd) {
            this.rootFd = rootFd;
        }

        /** The {@code user.*} attributes of a regular file or directory at {@code containerPath}; empty otherwise. */
        public synchronized Map<String, byte[]> read(String containerPath) {
            if (closed) return Map.of();
            String rel = containerPath.replaceAll("^/+", "");
            Map<String, byte[]> out = new java.util.TreeMap<>();
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment state = arena.allocate(Libc.CALL_STATE);
                int fd = openInRoot(arena, state, rootFd, rel.isEmpty() ? "." : rel);
                if (fd < 0) return Map.of();
                try {
                    long[] st = statx(arena, state, fd);
                    if (st.length == 0 || !regularOrDirectory(st)) return Map.of();
                    UserDefinedFileAttributeView view = view(fd);
                    for (String name : view.list()) {
                        ByteBuffer b = ByteBuffer.allocate(view.size(name));
                        view.read(name, b);
                        out.put("user." + name, java.util.Arrays.copyOf(b.array(), b.position()));
                    }
                } finally {
                    int ignored = (int) CLOSE.invokeExact(fd);
                }
            } catch (IOException | UnsupportedOperationException e) {
                return Map.of(); // a file system without user xattrs, or the file went away
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
            return out;
        }

        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            try {
                int ignored = (int) CLOSE.invokeExact(rootFd);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    /** Opens {@code root} (e.g. {@code /proc/<init>/root}) as the directory every lookup is confined to. */
    public static Reader reader(Path root) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Libc.CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(root.toString()), O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
            if (fd < 0) throw new IOException("cannot open " + root + ": errno " + errno(state));
            return new Reader(fd);
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static int errno(MemorySegment state) {
        return Libc.errno(state);
    }
}
