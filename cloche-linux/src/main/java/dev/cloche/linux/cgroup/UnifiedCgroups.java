package dev.cloche.linux.cgroup;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.GardenError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A cgroup v2 host: one hierarchy at the root. The runtime translates the OCI resources itself (memory.max,
 * cpu.weight from shares, pids.max); this class reads them back and reports them with Garden's v1-shaped names,
 * as Guardian does on v2 hosts: {@code memory.stat}'s anon/file become rss/cache and their total_ forms.
 */
final class UnifiedCgroups implements Cgroups {
    private final Path root;

    UnifiedCgroups(Path root) {
        this.root = root;
    }

    private Path dir(String group) {
        return root.resolve(group.startsWith("/") ? group.substring(1) : group);
    }

    @Override
    public List<Long> pids(String group) {
        try {
            return Files.readAllLines(dir(group).resolve("cgroup.procs")).stream().filter(l -> !l.isBlank())
                    .map(l -> Long.parseLong(l.strip())).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    @Override
    public void remove(String group) {
        Path d = dir(group);
        if (Files.isDirectory(d) && !HybridCgroups.rmdirTree(d)) throw GardenError.internal("cannot remove cgroup dir " + d);
    }

    @Override
    public void removeIfEmpty(String group) {
        try {
            Files.deleteIfExists(dir(group));
        } catch (IOException e) {
            // still holds container groups: they outlive the backend
        }
    }

    @Override
    public List<String> existing(String group) {
        return Files.isDirectory(dir(group)) ? List.of(dir(group).toString()) : List.of();
    }

    /**
     * memory.max and cpu.weight. Shares map to weight as the runtimes map them (runc/crun):
     * {@code 1 + ((shares - 2) * 9999) / 262142}, so 1024 shares (the default) are weight 39.
     */
    @Override
    public void setLimits(String group, long memoryBytes, long cpuShares) {
        Path d = dir(group);
        if (!Files.isDirectory(d)) throw GardenError.internal("cgroup " + d + " does not exist");
        String oldMax;
        try {
            oldMax = Files.readString(d.resolve("memory.max")).strip();
        } catch (IOException e) {
            throw GardenError.internal("cannot read " + d.resolve("memory.max"), e);
        }
        try {
            Files.writeString(d.resolve("memory.max"), memoryBytes == 0 ? "max" : Long.toString(memoryBytes));
        } catch (IOException e) {
            throw GardenError.internal("the kernel refused memory limit " + memoryBytes + " for " + d + ": " + e.getMessage(), e);
        }
        long shares = cpuShares == 0 ? 1024 : Math.max(2, Math.min(262144, cpuShares));
        try {
            Files.writeString(d.resolve("cpu.weight"), Long.toString(1 + ((shares - 2) * 9999) / 262142));
        } catch (IOException e) {
            try {
                Files.writeString(d.resolve("memory.max"), oldMax);
            } catch (IOException undo) {
                e.addSuppressed(undo);
            }
            throw GardenError.internal("cannot set cpu weight for " + d + ": " + e.getMessage(), e);
        }
    }

    @Override
    public ContainerMetrics.MemoryStat memory(String group) {
        Path d = dir(group);
        try {
            Map<String, Long> v2 = keyValues(d.resolve("memory.stat"));
            Map<String, Long> f = new HashMap<>();
            for (String k : List.of("anon", "file", "active_anon", "active_file", "inactive_anon", "inactive_file",
                    "unevictable", "pgfault", "pgmajfault")) {
                if (v2.containsKey(k)) f.put(k, v2.get(k));
            }
            long anon = v2.getOrDefault("anon", 0L);
            long file = v2.getOrDefault("file", 0L);
            f.put("rss", anon);
            f.put("total_rss", anon);
            f.put("cache", file);
            f.put("total_cache", file);
            for (String k : List.of("active_anon", "active_file", "inactive_anon", "inactive_file", "unevictable", "pgfault", "pgmajfault")) {
                if (v2.containsKey(k)) f.put("total_" + k, v2.get(k));
            }
            if (v2.containsKey("file_mapped")) {
                f.put("mapped_file", v2.get("file_mapped"));
                f.put("total_mapped_file", v2.get("file_mapped"));
            }
            String max = Files.readString(d.resolve("memory.max")).strip();
            f.put("hierarchical_memory_limit", max.equals("max") ? Long.MAX_VALUE : Long.parseLong(max));
            long current = Long.parseLong(Files.readString(d.resolve("memory.current")).strip());
            // what Garden calls usage toward the limit: everything but reclaimable inactive file pages
            long toward = Math.max(0, current - v2.getOrDefault("inactive_file", 0L));
            return new ContainerMetrics.MemoryStat(f, toward);
        } catch (IOException | NumberFormatException e) {
            return ContainerMetrics.MemoryStat.EMPTY;
        }
    }

    @Override
    public ContainerMetrics.CpuStat cpu(String group) {
        try {
            Map<String, Long> s = keyValues(dir(group).resolve("cpu.stat"));
            // cpu.stat counts microseconds; Garden reports nanoseconds
            return new ContainerMetrics.CpuStat(s.getOrDefault("usage_usec", 0L) * 1000, s.getOrDefault("user_usec", 0L) * 1000,
                    s.getOrDefault("system_usec", 0L) * 1000);
        } catch (IOException e) {
            return ContainerMetrics.CpuStat.EMPTY;
        }
    }

    @Override
    public ContainerMetrics.PidStat pidStat(String group) {
        Path d = dir(group);
        try {
            long current = Long.parseLong(Files.readString(d.resolve("pids.current")).strip());
            String max = Files.readString(d.resolve("pids.max")).strip();
            return new ContainerMetrics.PidStat(current, max.equals("max") ? 0 : Long.parseLong(max));
        } catch (IOException | NumberFormatException e) {
            return ContainerMetrics.PidStat.EMPTY;
        }
    }

    /** memory.events: {@code oom_kill N} counts OOM kills in the group and below. */
    @Override
    public long oomKills(String group) {
        try {
            return keyValues(dir(group).resolve("memory.events")).getOrDefault("oom_kill", 0L);
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public long pidLimitHits(String group) {
        try {
            return keyValues(dir(group).resolve("pids.events")).getOrDefault("max", 0L);
        } catch (IOException e) {
            return 0;
        }
    }

    private static Map<String, Long> keyValues(Path file) throws IOException {
        Map<String, Long> m = new HashMap<>();
        for (String line : Files.readAllLines(file)) {
            String[] kv = line.strip().split(" ");
            if (kv.length == 2) {
                try {
                    m.put(kv[0], Long.parseLong(kv[1]));
                } catch (NumberFormatException e) {
                    // not a counter
                }
            }
        }
        return m;
    }
}
