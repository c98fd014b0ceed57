package dev.cloche.linux.sys;

import java.nio.file.Path;

/**
 * Mounting and unmounting, the backend's most frequent privileged side effect after the runtime itself: an overlay
 * per container create and an unmount per destroy. {@link #syscalls()} calls mount(2) and umount2(2) directly;
 * {@link #commands} runs mount(8) and umount(8), which is what unit tests record.
 */
public interface Mounts {
    /** {@code MS_NOSUID}, {@code MS_NODEV}, {@code MS_NOEXEC} as in {@code <sys/mount.h>}. */
    long NOSUID = 2;
    long NODEV = 4;
    long NOEXEC = 8;

    /** Mounts {@code source} of {@code type} on {@code target} with the flags above and filesystem options {@code data}. */
    void mount(String source, Path target, String type, long flags, String data);

    /** Unmounts {@code target} (not lazily: a busy mount is an error). */
    void unmount(Path target);

    /**
     * Takes {@code target} out of this mount namespace at once ({@code MNT_DETACH}): the filesystem lives on while
     * another namespace (a container's) or an open file still uses it.
     */
    void detach(Path target);

    /**
     * The syscalls, through FFM. The mount(8) and umount(8) commands cost a fork and exec each, and umount(8)
     * reads the whole mount table, which holds an entry per container: 5-8 ms per call here, growing with the
     * number of containers (docs/benchmarks.md, lifecycle and density).
     */
    static Mounts syscalls() {
        return SyscallMounts.INSTANCE;
    }

    static Mounts commands(CommandRunner runner) {
        return new CommandMounts(runner);
    }
}
