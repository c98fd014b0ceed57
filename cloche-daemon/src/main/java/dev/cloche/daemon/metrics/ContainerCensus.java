package dev.cloche.daemon.metrics;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.GardenClient;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * Containers by state and their processes, counted from the core's own {@code bulkInfo} (which never touches a
 * grace timer) when a gauge is read. One count serves every gauge of a scrape: each scrape starts with
 * {@link #invalidate} and the first gauge read counts, so a scrape costs one pass over the containers however many
 * gauges read it, and never shows an earlier scrape's count. A read outside a scrape reuses a count for at most
 * {@link #MAX_AGE_NANOS}.
 */
final class ContainerCensus {
    static final long MAX_AGE_NANOS = 500_000_000L;

    /** @param byState containers per Garden state; {@code unknown} counts those whose info failed */
    record Count(Map<String, Long> byState, long processes) {
        long inState(String state) {
            return byState.getOrDefault(state, 0L);
        }
    }

    private final GardenClient core;
    private final LongSupplier clock;
    private Count last;
    private long takenAt;

    ContainerCensus(GardenClient core, LongSupplier nanoClock) {
        this.core = core;
        this.clock = nanoClock;
    }

    /** The next read counts again. */
    synchronized void invalidate() {
        last = null;
    }

    synchronized Count count() {
        long now = clock.getAsLong();
        if (last == null || now - takenAt > MAX_AGE_NANOS) {
            last = take();
            takenAt = now;
        }
        return last;
    }

    private Count take() {
        List<String> handles = core.containers(Map.of()).stream().map(Container::handle).toList();
        Map<String, Long> byState = new TreeMap<>();
        long processes = 0;
        for (ContainerInfoEntry e : core.bulkInfo(handles).values()) {
            if (e.info().isPresent()) {
                byState.merge(e.info().get().state(), 1L, Long::sum);
                processes += e.info().get().processIds().size();
            } else {
                // destroyed between the listing and the info, or its backend failed to say
                byState.merge("unknown", 1L, Long::sum);
            }
        }
        return new Count(byState, processes);
    }

    /**
     * Registers the gauges: {@code cloche_containers{state}} (Garden's states, and {@code unknown}; each series exists
     * even at zero, so a dashboard sees it) and {@code cloche_processes}.
     */
    void register(DaemonMetrics metrics) {
        for (String state : List.of("active", "stopped", "unknown")) {
            metrics.gauge("cloche.containers", "Containers by Garden state (unknown: info failed)", this,
                    c -> c.count().inState(state), "state", state);
        }
        metrics.gauge("cloche.processes", "Processes the containers list in their info (Garden ProcessIDs)", this, c -> c.count().processes());
    }
}
