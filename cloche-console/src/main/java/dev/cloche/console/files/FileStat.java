package dev.cloche.console.files;

/**
 * A file's attributes as {@code stat(2)} reports them inside the container.
 *
 * @param mode the type and permission bits ({@code st_mode})
 */
public record FileStat(int mode, long size, int uid, int gid, long accessedEpochSeconds, long modifiedEpochSeconds) {
    static final int TYPE_MASK = 0170000;
    static final int DIRECTORY = 0040000;
    static final int REGULAR = 0100000;
    static final int SYMLINK = 0120000;

    public boolean isDirectory() {
        return (mode & TYPE_MASK) == DIRECTORY;
    }

    public boolean isRegularFile() {
        return (mode & TYPE_MASK) == REGULAR;
    }

    public boolean isSymbolicLink() {
        return (mode & TYPE_MASK) == SYMLINK;
    }

    public boolean isOther() {
        return !isDirectory() && !isRegularFile() && !isSymbolicLink();
    }

    public int permissions() {
        return mode & 07777;
    }

    /** Parses busybox/coreutils {@code stat -c '%f %s %u %g %X %Y'} (the mode in hex). */
    static FileStat parse(String line) {
        String[] f = line.trim().split(" ");
        if (f.length != 6) {
            throw new IllegalArgumentException("not a stat line: " + line);
        }
        return new FileStat(Integer.parseInt(f[0], 16), Long.parseLong(f[1]), Integer.parseInt(f[2]),
                Integer.parseInt(f[3]), Long.parseLong(f[4]), Long.parseLong(f[5]));
    }
}
