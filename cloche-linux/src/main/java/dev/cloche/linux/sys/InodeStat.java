package dev.cloche.linux.sys;

import java.time.Instant;

/**
 * What {@link Inodes#lstat} reads: the {@code st_mode} (type and permission bits), owners, the device number a device
 * node stands for ({@code rdevMajor}/{@code rdevMinor}), sizes (apparent and allocated, in bytes), hard-link count,
 * the identity of the inode ({@code dev}, {@code ino}) and its modification time.
 */
public record InodeStat(int mode, long uid, long gid, long rdevMajor, long rdevMinor, long size, long allocated,
                        long links, long dev, long ino, Instant modified) {
    public static final int S_IFMT = 0170000;
    public static final int S_IFDIR = 0040000;
    public static final int S_IFREG = 0100000;
    public static final int S_IFLNK = 0120000;
    public static final int S_IFCHR = 0020000;
    public static final int S_IFBLK = 0060000;
    public static final int S_IFIFO = 0010000;

    public int type() {
        return mode & S_IFMT;
    }

    public int permissions() {
        return mode & 07777;
    }

    public boolean isDirectory() {
        return type() == S_IFDIR;
    }

    public boolean isRegularFile() {
        return type() == S_IFREG;
    }

    public boolean isSymlink() {
        return type() == S_IFLNK;
    }

    public boolean isFifo() {
        return type() == S_IFIFO;
    }

    /** An overlayfs whiteout: a character device 0/0. */
    public boolean isWhiteout() {
        return type() == S_IFCHR && rdevMajor == 0 && rdevMinor == 0;
    }
}
