package dev.cloche.linux.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Reads process state from /proc. Inits of runc containers are not our children, so their exit can only be polled. */
public final class ProcFs {
    private ProcFs() {}

    /** True when the pid no longer exists or is a zombie (dead, just not reaped by its parent yet). */
    public static boolean goneOrZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            char state = stat.charAt(close + 2);
            return state == 'Z' || state == 'X';
        } catch (NoSuchFileException e) {
            return true;
        } catch (IOException e) {
            return true;
        }
    }

    /** Polls (bounded) until every pid is gone or a zombie; returns whether that happened within the timeout. */
    public static boolean awaitGone(List<Long> pids, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pauseMs = 1;
        while (true) {
            if (pids.stream().allMatch(ProcFs::goneOrZombie)) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            // no event exists for the exit of a process that is not our child: poll with a short back-off
            try {
                Thread.sleep(pauseMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            pauseMs = Math.min(pauseMs * 2, 20);
        }
    }

    /** The bounding capability set of this process (CapBnd of /proc/self/status), all bits if unreadable. */
    public static long boundingCapabilities() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapBnd:")) {
                    return Long.parseUnsignedLong(line.substring(7).strip(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through
        }
        return -1L;
    }

    /** Total memory of the host in bytes (MemTotal of /proc/meminfo). */
    public static long memTotalBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
            return 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * Whether {@code dir} is the root of a mount that has its own device, as every mount Cloche makes has (overlay,
     * loop-mounted ext4, cgroup hierarchies): its device differs from its parent's. O(1), unlike a scan of
     * /proc/self/mounts, which the kernel renders anew on every read and which grows by one overlay line per container
     * (at 300 containers that read was about 60 % of the daemon's CPU while destroying; docs/benchmarks.md). A bind
     * mount from the same filesystem is not seen. If the directory cannot be stat'ed (a broken mount) the table decides.
     */
    public static boolean isMounted(Path dir) {
        try {
            Path parent = dir.toAbsolutePath().getParent();
            if (parent == null) return true;
            return !Files.getAttribute(dir, "unix:dev", java.nio.file.LinkOption.NOFOLLOW_LINKS)
                    .equals(Files.getAttribute(parent, "unix:dev", java.nio.file.LinkOption.NOFOLLOW_LINKS));
        } catch (java.nio.file.NoSuchFileException e) {
            return false;
        } catch (IOException | RuntimeException e) {
            // unreadable: fall back to the mount table
        }
        try {
            String target = dir.toString();
            for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
                String[] f = line.split(" ");
                if (f.length > 1 && f[1].equals(target)) {
                    return true;
                }
            }
            return false;
        } catch (IOException e) {
            return false;
        }
    }
}
