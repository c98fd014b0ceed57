package dev.cloche.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * What a run could leak, counted before and after: cgroup directories under the bench's cgroup parents (every v1
 * hierarchy and cgroup2), mounts under the bench directory, live processes in those cgroups or naming the bench
 * directory (zombies excluded: PID 1 here reaps lazily), runtime state entries and depot containers.
 */
final class Leaks {
    /** Our cgroup parents exactly: another engineer's {@code cloche-bench-proxy} is not ours. */
    private static final java.util.regex.Pattern OURS = java.util.regex.Pattern.compile(
            "/(cloche-bench|" + RawRuntime.CGROUP_PARENT + "|" + Podman.CGROUP_PARENT.substring(1) + ")(/|$)",
            java.util.regex.Pattern.MULTILINE);
    private final Path benchDir;
    private final List<Path> stateDirs;
    private final Set<Long> exclude;

    Leaks(Path benchDir, List<Path> stateDirs, Set<Long> exclude) {
        this.benchDir = benchDir;
        this.stateDirs = stateDirs;
        this.exclude = exclude;
    }

    Map<String, Integer> snapshot() throws IOException {
        Map<String, Integer> m = new LinkedHashMap<>();
        m.put("cgroup dirs", cgroupDirs());
        m.put("mounts", mounts());
        m.put("processes", processes());
        int state = 0;
        for (Path d : stateDirs) {
            if (Files.isDirectory(d)) {
                try (Stream<Path> s = Files.list(d)) {
                    state += (int) s.count();
                }
            }
        }
        m.put("runtime state / depot entries", state);
        return m;
    }

    private static int cgroupDirs() throws IOException {
        int n = 0;
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                for (String parent : List.of("cloche-bench", RawRuntime.CGROUP_PARENT, Podman.CGROUP_PARENT.substring(1))) {
                    Path p = h.resolve(parent);
                    if (Files.isDirectory(p)) {
                        try (Stream<Path> s = Files.walk(p)) {
                            // the daemon's own parent directory is its business, not a container's leftover
                            n += (int) s.filter(Files::isDirectory).count() - (parent.equals("cloche-bench") ? 1 : 0);
                        } catch (java.io.UncheckedIOException raced) {
                            n++;
                        }
                    }
                }
            }
        }
        return n;
    }

    private int mounts() throws IOException {
        String prefix = benchDir.toAbsolutePath() + "/"; // not a sibling such as /tmp/cloche-bench-proxy.X
        return (int) Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.split(" ")[4].startsWith(prefix)).count();
    }

    private int processes() throws IOException {
        String dir = benchDir.toAbsolutePath() + "/";
        List<Long> found = new ArrayList<>();
        try (Stream<Path> s = Files.list(Path.of("/proc"))) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) continue;
                long pid = Long.parseLong(name);
                if (exclude.contains(pid)) continue;
                try {
                    String stat = Files.readString(p.resolve("stat"));
                    if (stat.substring(stat.lastIndexOf(')') + 2).startsWith("Z")) continue;
                    String cgroup = Files.readString(p.resolve("cgroup"));
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline"))).replace('\0', ' ');
                    if (OURS.matcher(cgroup).find() || cmd.contains(dir)) {
                        found.add(pid);
                    }
                } catch (IOException gone) {
                    // exited while we looked
                }
            }
        }
        return found.size();
    }

    /** The pids to ignore: this JVM, its ancestors (make's shells name the bench dir) and the daemon. */
    static Set<Long> ignored(long daemonPid) {
        java.util.HashSet<Long> s = new java.util.HashSet<>();
        s.add(daemonPid);
        for (ProcessHandle h = ProcessHandle.current(); h != null; h = h.parent().orElse(null)) {
            s.add(h.pid());
        }
        return s;
    }
}
