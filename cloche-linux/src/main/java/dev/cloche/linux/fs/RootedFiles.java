package dev.cloche.linux.fs;

import dev.cloche.linux.sys.Libc;
import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Reads small regular files of a container from the host, resolved as {@link RootedXattrs} resolves them
 * ({@code openat2(RESOLVE_IN_ROOT)}): symlinks and "..", even ones a container process swaps in meanwhile, stay
 * inside the container's root, so a container cannot make the host read a host file for it.
 */
public final class RootedFiles {
    private RootedFiles() {}

    /**
     * The content of the regular file {@code containerPath} under {@code root}, at most {@code max} bytes; empty when
     * it is missing, not a regular file (a symlink's last component is not followed) or larger.
     */
    public static Optional<byte[]> readRegular(Path root, String containerPath, int max) throws IOException {
        String rel = containerPath.replaceAll("^/+", "");
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Libc.CALL_STATE);
            int rootFd = (int) RootedXattrs.OPEN.invokeExact(state, arena.allocateFrom(root.toString()),
                    RootedXattrs.O_PATH | RootedXattrs.O_DIRECTORY | RootedXattrs.O_CLOEXEC, 0);
            if (rootFd < 0) throw new IOException("cannot open " + root + ": errno " + Libc.errno(state));
            try {
                int fd = RootedXattrs.openInRoot(arena, state, rootFd, rel);
                if (fd < 0) return Optional.empty();
                try {
                    long[] st = RootedXattrs.statx(arena, state, fd);
                    if (st.length == 0 || (st[0] & 0170000) != 0100000) return Optional.empty();
                    // the O_PATH fd's magic link reopens that very inode, which statx said is a regular file
                    try (InputStream in = Files.newInputStream(Path.of("/proc/self/fd/" + fd))) {
                        byte[] content = in.readNBytes(max + 1);
                        return content.length > max ? Optional.empty() : Optional.of(content);
                    }
                } finally {
                    int ignored = (int) RootedXattrs.CLOSE.invokeExact(fd);
                }
            } finally {
                int ignored = (int) RootedXattrs.CLOSE.invokeExact(rootFd);
            }
        } catch (IOException | RuntimeException | Error e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
