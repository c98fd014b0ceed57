package dev.cloche.linux.cgroup;

import dev.cloche.api.ContainerMetrics;
import java.util.List;

/** The container cgroups as the backend reads and cleans them; paths are relative to each hierarchy's root. */
public interface Cgroups {

    /** Pids listed in the group (pids hierarchy), empty when it does not exist. */
    List<Long> pids(String group);

    /** rmdir the group in every hierarchy (v1 controllers and the unified one); missing counts as removed. */
    void remove(String group);

    /** rmdir the group (never recursively) in every hierarchy where it exists and is empty; used for the parent. */
    void removeIfEmpty(String group);

    /** Hierarchies in which the group still exists (for leak checks). */
    List<String> existing(String group);

    /**
     * Writes a live group's memory limit (bytes; 0 = unlimited) and CPU shares (0 = the kernel default, 1024). A
     * limit the kernel refuses (below current usage: EBUSY) throws and leaves the group's limits as they were.
     */
    void setLimits(String group, long memoryBytes, long cpuShares);

    ContainerMetrics.MemoryStat memory(String group);

    ContainerMetrics.CpuStat cpu(String group);

    ContainerMetrics.PidStat pidStat(String group);

    /** How many processes of the group the kernel's OOM killer has killed (0 when unknown). */
    long oomKills(String group);

    /** How many forks the group's pid limit has refused ({@code pids.events: max N}; 0 when unknown). */
    long pidLimitHits(String group);
}
