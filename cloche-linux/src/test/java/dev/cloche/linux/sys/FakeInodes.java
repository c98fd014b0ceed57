package dev.cloche.linux.sys;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@link Inodes} for unit tests without root: what an unprivileged process may do itself (modes, times, FIFOs,
 * whiteouts since Linux 5.8, {@code user.*} xattrs) is done for real; what needs root is recorded. Owners and
 * {@code trusted.*}/{@code security.*} xattrs of regular files and directories are kept in {@code user.fake.*}
 * xattrs of the file itself (so they travel with renames and die with the inode); owners of other nodes in a map by
 * inode. {@link #lstat} and {@link #xattrs} answer with what was recorded, as the kernel would for root.
 */
public final class FakeInodes implements Inodes {
    private static final String OWNER = "user.fake.owner";
    private static final String PRIVILEGED = "user.fake.";
    private final Inodes real = Inodes.syscalls();
    private final Map<String, long[]> otherOwners = new ConcurrentHashMap<>();
    private final AtomicInteger chowns = new AtomicInteger();

    /** How many lchown calls were made. */
    public int chowns() {
        return chowns.get();
    }

    @Override
    public InodeStat lstat(Path path) throws IOException {
        InodeStat st = real.lstat(path);
        long[] owner = owner(path, st);
        if (owner == null) return st;
        return new InodeStat(st.mode(), owner[0], owner[1], st.rdevMajor(), st.rdevMinor(), st.size(), st.allocated(),
                st.links(), st.dev(), st.ino(), st.modified());
    }

    private long[] owner(Path path, InodeStat st) throws IOException {
        if (carriesXattrs(st)) {
            byte[] v = realXattrs(path).get(OWNER);
            if (v == null) return null;
            String[] p = new String(v, StandardCharsets.US_ASCII).split(":");
            return new long[] {Long.parseLong(p[0]), Long.parseLong(p[1])};
        }
        return otherOwners.get(key(st));
    }

    @Override
    public void lchown(Path path, long uid, long gid) throws IOException {
        chowns.incrementAndGet();
        InodeStat st = real.lstat(path);
        if (carriesXattrs(st)) {
            real.setXattr(path, OWNER, (uid + ":" + gid).getBytes(StandardCharsets.US_ASCII));
        } else {
            otherOwners.put(key(st), new long[] {uid, gid});
        }
    }

    @Override
    public void chmod(Path path, int mode) throws IOException {
        real.chmod(path, mode);
    }

    @Override
    public void setModified(Path path, Instant modified) throws IOException {
        real.setModified(path, modified);
    }

    @Override
    public void setXattr(Path path, String name, byte[] value) throws IOException {
        if (name.startsWith("user.")) {
            real.setXattr(path, name, value);
            return;
        }
        if (!carriesXattrs(real.lstat(path))) throw new FileSystemException(path.toString(), null, "fake: no " + name + " here");
        real.setXattr(path, PRIVILEGED + name, value);
    }

    @Override
    public Map<String, byte[]> xattrs(Path path) throws IOException {
        if (!carriesXattrs(real.lstat(path))) return Map.of();
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> e : realXattrs(path).entrySet()) {
            String name = e.getKey();
            if (name.equals(OWNER)) continue;
            out.put(name.startsWith(PRIVILEGED) ? name.substring(PRIVILEGED.length()) : name, e.getValue());
        }
        return out;
    }

    @Override
    public void makeWhiteout(Path path) throws IOException {
        real.makeWhiteout(path);
    }

    @Override
    public void makeFifo(Path path, int mode) throws IOException {
        real.makeFifo(path, mode);
    }

    private Map<String, byte[]> realXattrs(Path path) throws IOException {
        return real.xattrs(path);
    }

    /** Only regular files and directories take user.* xattrs. */
    private static boolean carriesXattrs(InodeStat st) {
        return st.isRegularFile() || st.isDirectory();
    }

    private static String key(InodeStat st) {
        return st.dev() + ":" + st.ino();
    }
}
