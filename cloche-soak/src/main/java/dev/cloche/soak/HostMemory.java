package dev.cloche.soak;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The kernel's memory figures the density part compares: /proc/meminfo, and a cgroup parent's memory charge. */
record HostMemory(long memAvailableBytes, long slabBytes, long cgroupBytes) {

    static HostMemory read(String cgroupParent) {
        String meminfo = readFile(Path.of("/proc/meminfo"));
        return new HostMemory(meminfoKiB(meminfo, "MemAvailable") * 1024, meminfoKiB(meminfo, "Slab") * 1024,
                cgroupBytes(cgroupParent));
    }

    static long meminfoKiB(String meminfo, String field) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(field) + ":\\s+(\\d+) kB$").matcher(meminfo);
        if (!m.find()) throw new IllegalStateException("no " + field + " in /proc/meminfo");
        return Long.parseLong(m.group(1));
    }

    /** cgroup v1's memory.usage_in_bytes, else v2's memory.current, of the parent; -1 when neither is there. */
    private static long cgroupBytes(String parent) {
        for (Path f : new Path[] {Path.of("/sys/fs/cgroup/memory", parent, "memory.usage_in_bytes"),
                Path.of("/sys/fs/cgroup", parent, "memory.current"), Path.of("/sys/fs/cgroup/unified", parent, "memory.current")}) {
            if (Files.isRegularFile(f)) return Long.parseLong(readFile(f).strip());
        }
        return -1;
    }

    private static String readFile(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
