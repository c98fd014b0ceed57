package dev.cloche.linux.fs;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Sets extended attributes on files of a container, resolving every path with {@code openat2(RESOLVE_IN_ROOT)}
 * under a directory that stands for the container's root (docs/files.md §4): ".." and symlinks, even ones swapped in
 * meanwhile, stay below it, magic links are refused and the last component is never followed. Only {@code user.*}
 * attributes are set (others are ignored), only on regular files and directories, and only where the container user may (it owns the
 * file, or it is the container's root).
 */
public final class RootedXattrs {
    private static final int O_RDONLY = 0;
    private static final int O_PATH = 0x200000;
    private static final int O_DIRECTORY = 0x10000;
    private static final int O_NOFOLLOW = 0x20000;
    private static final int O_NONBLOCK = 0x800;
    private static final int O_NOCTTY = 0x100;
    private static final int O_CLOEXEC = 0x80000;
    private static final long RESOLVE_NO_MAGICLINKS = 0x02;
    private static final long RESOLVE_IN_ROOT = 0x10;
    private static final long SYS_OPENAT2 = 437; // x86_64 and aarch64 alike

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option ERRNO_OPT = Linker.Option.captureCallState("errno");
    private static final MethodHandle OPEN = fn("open", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2), ERRNO_OPT);
    private static final MethodHandle SYSCALL = fn("syscall",
            FunctionDescriptor.of(JAVA_LONG, JAVA_LONG, JAVA_LONG, ADDRESS, ADDRESS, JAVA_LONG), Linker.Option.firstVariadicArg(1), ERRNO_OPT);
    private static final MethodHandle FSETXATTR = fn("fsetxattr",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT), ERRNO_OPT);
    private static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private RootedXattrs() {}

    private static MethodHandle fn(String name, FunctionDescriptor d, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), d, options);
    }

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
            MemorySegment state = arena.allocate(STATE);
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
        MemorySegment how = arena.allocate(24);
        how.set(JAVA_LONG, 0, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        how.set(JAVA_LONG, 8, 0);
        how.set(JAVA_LONG, 16, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
        int fd = (int) (long) SYSCALL.invokeExact(state, SYS_OPENAT2, (long) rootFd, arena.allocateFrom(rel), how, 24L);
        if (fd < 0) {
            skipped.add(rel + ": cannot open (errno " + errno(state) + ")");
            return;
        }
        try {
            Path self = Path.of("/proc/self/fd/" + fd);
            Map<String, Object> st = Files.readAttributes(self, "unix:mode,uid");
            int type = (int) st.get("mode") & 0170000;
            long uid = Integer.toUnsignedLong((int) st.get("uid"));
            if (type != 0100000 && type != 0040000) {
                skipped.add(rel + ": not a regular file or directory any more");
                return;
            }
            if (!anyOwner && uid != hostUid) {
                skipped.add(rel + ": not owned by the user");
                return;
            }
            for (Map.Entry<String, byte[]> a : attrs.entrySet()) {
                // security.*/trusted.* mean something else inside a user namespace (or need host privileges)
                if (!a.getKey().startsWith("user.")) continue;
                MemorySegment value = arena.allocate(Math.max(1, a.getValue().length));
                MemorySegment.copy(MemorySegment.ofArray(a.getValue()), 0, value, 0, a.getValue().length);
                int r = (int) FSETXATTR.invokeExact(state, fd, arena.allocateFrom(a.getKey()), value, (long) a.getValue().length, 0);
                if (r != 0) skipped.add(rel + ": " + a.getKey() + " (errno " + errno(state) + ")");
            }
        } finally {
            int ignored = (int) CLOSE.invokeExact(fd);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }
}
