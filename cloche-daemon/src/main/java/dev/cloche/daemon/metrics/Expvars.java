package dev.cloche.daemon.metrics;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryUsage;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code /debug/vars} in the shape of Go's expvar, as Guardian's debug server publishes it: {@code cmdline} (the
 * process's arguments), {@code memstats} (Go's {@code runtime.MemStats} field names, filled from the JVM's MXBeans),
 * Guardian's {@code numCPUS}, {@code numGoRoutines} (its spelling) and {@code numGoroutines} (live threads, both), and
 * {@code depotDirs} (Guardian: one directory per container; here the containers the core holds).
 */
final class Expvars {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final IntSupplier containers;

    /** @param containers how many containers the core holds, or -1 when it cannot say (Guardian's convention) */
    Expvars(IntSupplier containers) {
        this.containers = containers;
    }

    String json() {
        return JSON.writeValueAsString(vars());
    }

    Map<String, Object> vars() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        Map<String, Object> vars = new LinkedHashMap<>();
        vars.put("cmdline", cmdline());
        vars.put("memstats", memstats());
        vars.put("numCPUS", Runtime.getRuntime().availableProcessors());
        vars.put("numGoRoutines", threads.getThreadCount());
        vars.put("numGoroutines", threads.getThreadCount());
        vars.put("depotDirs", containers.getAsInt());
        return vars;
    }

    /** Go's {@code os.Args}: the program and its arguments. */
    static List<String> cmdline() {
        ProcessHandle.Info info = ProcessHandle.current().info();
        List<String> args = new ArrayList<>();
        args.add(info.command().orElse("java"));
        info.arguments().ifPresent(a -> args.addAll(List.of(a)));
        return args;
    }

    /**
     * Go's MemStats from the JVM: Alloc and HeapAlloc = heap in use; HeapSys = heap committed; HeapIdle = committed
     * but unused; Sys = heap and non-heap committed; TotalAlloc = {@link #totalAllocated()}; NumGC and PauseTotalNs =
     * the collectors' counts and accumulated times.
     */
    static Map<String, Object> memstats() {
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        MemoryUsage heap = memory.getHeapMemoryUsage();
        MemoryUsage nonHeap = memory.getNonHeapMemoryUsage();
        long gcCount = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcCount += Math.max(0, gc.getCollectionCount());
            gcMillis += Math.max(0, gc.getCollectionTime());
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("Alloc", heap.getUsed());
        m.put("TotalAlloc", totalAllocated());
        m.put("Sys", heap.getCommitted() + nonHeap.getCommitted());
        m.put("HeapAlloc", heap.getUsed());
        m.put("HeapSys", heap.getCommitted());
        m.put("HeapIdle", heap.getCommitted() - heap.getUsed());
        m.put("HeapInuse", heap.getUsed());
        m.put("NumGC", gcCount);
        m.put("PauseTotalNs", gcMillis * 1_000_000L);
        return m;
    }

    /**
     * Bytes allocated on the heap since the JVM started: HotSpot's per-thread allocation counters summed over every
     * thread, live and ended ({@code com.sun.management.ThreadMXBean#getTotalThreadAllocatedBytes}; virtual threads'
     * allocations land on their carriers'). Where that is unsupported, the heap in use now (a lower bound).
     */
    static long totalAllocated() {
        if (ManagementFactory.getThreadMXBean() instanceof com.sun.management.ThreadMXBean hotspot
                && hotspot.isThreadAllocatedMemorySupported() && hotspot.isThreadAllocatedMemoryEnabled()) {
            long total = hotspot.getTotalThreadAllocatedBytes();
            if (total >= 0) {
                return total;
            }
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
