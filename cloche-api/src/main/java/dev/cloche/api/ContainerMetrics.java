package dev.cloche.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/** Garden's {@code Metrics}. */
public record ContainerMetrics(MemoryStat memory, CpuStat cpu, DiskStat disk, Optional<NetworkStat> network, PidStat pid,
                               Duration age, long cpuEntitlement) {

    public ContainerMetrics {
        Objects.requireNonNull(memory, "memory");
        Objects.requireNonNull(cpu, "cpu");
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(network, "network");
        Objects.requireNonNull(pid, "pid");
        Objects.requireNonNull(age, "age");
    }

    /**
     * Garden's {@code ContainerMemoryStat}: the cgroup memory.stat fields by their wire names
     * ({@link #FIELDS}; missing ones read as 0) plus {@code TotalUsageTowardLimit}.
     */
    public record MemoryStat(Map<String, Long> fields, long totalUsageTowardLimit) {
        /** The snake_case keys Garden always writes, in its order. */
        public static final List<String> FIELDS = List.of(
                "active_anon", "active_file", "cache", "hierarchical_memory_limit", "inactive_anon", "inactive_file",
                "mapped_file", "pgfault", "pgmajfault", "pgpgin", "pgpgout", "rss", "total_active_anon",
                "total_active_file", "total_cache", "total_inactive_anon", "total_inactive_file", "total_mapped_file",
                "total_pgfault", "total_pgmajfault", "total_pgpgin", "total_pgpgout", "total_rss", "total_unevictable",
                "unevictable", "swap", "hierarchical_memsw_limit", "total_swap", "anon", "file", "swapcached");
        public static final MemoryStat EMPTY = new MemoryStat(Map.of(), 0);

        public MemoryStat { fields = Map.copyOf(fields); }

        public long field(String name) { return fields.getOrDefault(name, 0L); }
    }

    public record CpuStat(long usage, long user, long system) {
        public static final CpuStat EMPTY = new CpuStat(0, 0, 0);
    }

    public record DiskStat(long totalBytesUsed, long totalInodesUsed, long exclusiveBytesUsed, long exclusiveInodesUsed) {
        public static final DiskStat EMPTY = new DiskStat(0, 0, 0, 0);
    }

    public record NetworkStat(long rxBytes, long txBytes) {}

    public record PidStat(long current, long max) {
        public static final PidStat EMPTY = new PidStat(0, 0);
    }
}
