package dev.cloche.linux.sys;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;

/**
 * The calls on single files that Java's file API lacks or only makes with a following of symlinks: owners, all twelve
 * mode bits (setuid, setgid, sticky), times and extended attributes of the node itself, overlay whiteouts and FIFOs,
 * and {@code lstat} with the allocated size and device number. No call follows a symlink in the last component;
 * callers make sure no parent is one. {@link #syscalls()} is the kernel; unit tests use a fake.
 */
public interface Inodes {

    /** {@code lstat} of the node itself. */
    InodeStat lstat(Path path) throws IOException;

    /** {@code lchown}: the node itself, a symlink included. */
    void lchown(Path path, long uid, long gid) throws IOException;

    /** {@code chmod} with all of {@code 07777}; never called on a symlink (Linux has no modes for them). */
    void chmod(Path path, int mode) throws IOException;

    /** {@code utimensat(AT_SYMLINK_NOFOLLOW)}: access and modification time of the node itself. */
    void setModified(Path path, Instant modified) throws IOException;

    /** {@code lsetxattr}; an attribute the file system refuses is an {@link IOException} naming it. */
    void setXattr(Path path, String name, byte[] value) throws IOException;

    /** {@code llistxattr} and {@code lgetxattr}: every attribute of the node, by name. */
    Map<String, byte[]> xattrs(Path path) throws IOException;

    /**
     * An overlayfs whiteout: a character device 0/0 (mode 0). Linux lets anyone make one since 5.8; any other device
     * needs {@code CAP_MKNOD} and is never made by the backend.
     */
    void makeWhiteout(Path path) throws IOException;

    /** {@code mknod(S_IFIFO)}. */
    void makeFifo(Path path, int mode) throws IOException;

    static Inodes syscalls() {
        return SyscallInodes.INSTANCE;
    }
}
