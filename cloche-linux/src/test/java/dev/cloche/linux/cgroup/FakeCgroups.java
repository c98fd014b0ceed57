package dev.cloche.linux.cgroup;

import dev.cloche.api.ContainerMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Groups that exist only in the test: their pids and counters are set by the test; changes are recorded. */
public final class FakeCgroups implements Cgroups {
    private final Map<String, List<Long>> pids = new ConcurrentHashMap<>();
    private final List<String> calls = new ArrayList<>();
    public volatile long oomKills;
    public volatile long pidLimitHits;

    public void pids(String group, Long... p) {
        pids.put(group, List.of(p));
    }

    /** remove, removeIfEmpty and setLimits, as "remove /g". */
    public synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    private synchronized void record(String call) {
        calls.add(call);
    }

    @Override public List<Long> pids(String group) { return pids.getOrDefault(group, List.of()); }
    @Override public void remove(String group) { record("remove " + group); pids.remove(group); }
    @Override public void removeIfEmpty(String group) { record("removeIfEmpty " + group); }
    @Override public List<String> existing(String group) { return pids.containsKey(group) ? List.of("pids") : List.of(); }
    @Override public void setLimits(String group, long memoryBytes, long cpuShares) {
        record("setLimits " + group + " " + memoryBytes + " " + cpuShares);
    }
    @Override public ContainerMetrics.MemoryStat memory(String group) { return new ContainerMetrics.MemoryStat(Map.of(), 0); }
    @Override public ContainerMetrics.CpuStat cpu(String group) { return ContainerMetrics.CpuStat.EMPTY; }
    @Override public ContainerMetrics.PidStat pidStat(String group) { return new ContainerMetrics.PidStat(pids(group).size(), 0); }
    @Override public long oomKills(String group) { return oomKills; }
    @Override public long pidLimitHits(String group) { return pidLimitHits; }
}
