package dev.cloche.daemon.metrics;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.GardenClient;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongSupplier;

/**
 * Containers by state and their processes, counted from the core's own {@code bulkInfo} (which never touches a
 * grace timer) when a gauge is read. One count serves every gauge of a scrape: each scrape starts with
 * {@link #invalidate} and the first gauge read counts, so a scrape costs one pass over the containers however many
 * gauges read it, and never shows an earlier scrape's count while its own arrives in time. A read outside a scrape
 * reuses a count for at most {@link #MAX_AGE_NANOS}.
 *
 * <p>The pass waits for each container a destroy holds, so under load it can take seconds: a scrape waits for it at
 * most {@link #WAIT} and then shows the last count finished (the pass goes on, and the next scrape may use it).
 */
final class ContainerCensus {
    static final long MAX_AGE_NANOS = 500_000_000L;
    static final Duration WAIT = Duration.ofSeconds(2);

    /** @param byState containers per Garden state; {@code unknown} counts those whose info failed */
    record Count(Map<String, Long> byState, long processes) {
        long inState(String state) {
            return byState.getOrDefault(state, 0L);
        }
    }

    private final GardenClient core;
    private final LongSupplier clock;
    /** Bumped by each scrape: a count is fresh for the scrape it was started in. */
    private long scrape;
    private Count last = new Count(Map.of(), 0);
    private long lastScrape = -1;
    private long takenAt;
    private CompletableFuture<Count> counting;
    private long countingScrape;

    private final Duration wait;

    ContainerCensus(GardenClient core, LongSupplier nanoClock) {
        this(core, nanoClock, WAIT);
    }

    ContainerCensus(GardenClient core, LongSupplier nanoClock, Duration wait) {
        this.core = core;
        this.clock = nanoClock;
        this.wait = wait;
    }

    /** The next read counts again. */
    synchronized void invalidate() {
        scrape++;
    }

    Count count() {
        CompletableFuture<Count> pending;
        synchronized (this) {
            if (lastScrape == scrape && clock.getAsLong() - takenAt <= MAX_AGE_NANOS) return last;
            if (counting != null && countingScrape == scrape && !counting.isCompletedExceptionally()) {
                pending = counting;
            } else {
                long forScrape = scrape;
                CompletableFuture<Count> f = CompletableFuture.supplyAsync(this::take, Thread::startVirtualThread);
                counting = f;
                countingScrape = forScrape;
                pending = f;
                // may run at once, on this thread, if the pass is already done
                f.whenComplete((c, failure) -> finished(c, forScrape, f));
            }
        }
        try {
            return pending.get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
            synchronized (this) {
                return last;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            synchronized (this) {
                return last;
            }
        }
    }

    /** A failed pass ({@code c} null) keeps the last count, and the next read starts another. */
    private synchronized void finished(Count c, long forScrape, CompletableFuture<Count> f) {
        if (c != null && forScrape >= lastScrape) {
            last = c;
            lastScrape = forScrape;
            takenAt = clock.getAsLong();
        }
        if (counting == f) counting = null;
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
