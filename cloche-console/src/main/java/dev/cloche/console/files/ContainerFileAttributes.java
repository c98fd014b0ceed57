package dev.cloche.console.files;

import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** A {@link FileStat} as NIO's attributes, and as the attribute maps of the views "basic", "posix", "owner" and "unix". */
record ContainerFileAttributes(FileStat stat) implements PosixFileAttributes {

    /** A user or group known only by its numeric id inside the container. */
    record NumericPrincipal(int id) implements GroupPrincipal {
        @Override
        public String getName() {
            return Integer.toString(id);
        }

        @Override
        public String toString() {
            return getName();
        }
    }

    @Override
    public UserPrincipal owner() {
        return new NumericPrincipal(stat.uid());
    }

    @Override
    public GroupPrincipal group() {
        return new NumericPrincipal(stat.gid());
    }

    @Override
    public Set<PosixFilePermission> permissions() {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
            PosixFilePermission.OWNER_READ};
        for (int bit = 0; bit < order.length; bit++) {
            if ((stat.mode() & (1 << bit)) != 0) {
                set.add(order[bit]);
            }
        }
        return set;
    }

    static int mode(Set<PosixFilePermission> permissions) {
        int mode = 0;
        for (PosixFilePermission p : permissions) {
            mode |= 1 << (8 - p.ordinal()); // OWNER_READ is ordinal 0 = 0400
        }
        return mode;
    }

    @Override
    public FileTime lastModifiedTime() {
        return FileTime.from(stat.modifiedEpochSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public FileTime lastAccessTime() {
        return FileTime.from(stat.accessedEpochSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public FileTime creationTime() {
        return lastModifiedTime();
    }

    @Override
    public boolean isRegularFile() {
        return stat.isRegularFile();
    }

    @Override
    public boolean isDirectory() {
        return stat.isDirectory();
    }

    @Override
    public boolean isSymbolicLink() {
        return stat.isSymbolicLink();
    }

    @Override
    public boolean isOther() {
        return stat.isOther();
    }

    @Override
    public long size() {
        return stat.size();
    }

    @Override
    public Object fileKey() {
        return null; // no inode numbers from stat -c here; NIO allows none
    }

    /** Every attribute of {@code view} ("basic", "posix", "owner" or "unix"). */
    Map<String, Object> view(String view) {
        Map<String, Object> m = new LinkedHashMap<>();
        switch (view) {
            case "owner" -> m.put("owner", owner());
            case "basic", "posix", "unix" -> {
                m.put("lastModifiedTime", lastModifiedTime());
                m.put("lastAccessTime", lastAccessTime());
                m.put("creationTime", creationTime());
                m.put("size", size());
                m.put("isRegularFile", isRegularFile());
                m.put("isDirectory", isDirectory());
                m.put("isSymbolicLink", isSymbolicLink());
                m.put("isOther", isOther());
                m.put("fileKey", fileKey());
                if (!view.equals("basic")) {
                    m.put("permissions", permissions());
                    m.put("owner", owner());
                    m.put("group", group());
                }
                if (view.equals("unix")) {
                    m.put("uid", stat.uid());
                    m.put("gid", stat.gid());
                    m.put("mode", stat.mode());
                }
            }
            default -> throw new UnsupportedOperationException("no attribute view '" + view + "' on container files");
        }
        return m;
    }
}
