package dev.cloche.linux;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.GardenException;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.linux.cgroup.Cgroups;
import java.time.Duration;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process start inside a container's limits. The runtime's own set-up runs in the container's cgroup (runc's
 * {@code runc init} alone needs several threads), so a full pid or memory cgroup fails the start with the runtime's
 * words ({@code read init-p: connection reset by peer}). The kernel's counters, read around each attempt, say which
 * limit refused it: a start refused by the pid limit is retried with back-off for a bounded time (pids held by
 * processes that are just exiting come back within milliseconds), and what is still refused, or refused by the
 * memory limit, becomes a {@link ResourceExhaustedException} that names the limit.
 */
final class LimitedStart {
    private static final Logger LOG = LoggerFactory.getLogger(LimitedStart.class);
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(10);
    private static final Duration MAX_BACKOFF = Duration.ofMillis(250);

    /** Waits between attempts; fakeable so that unit tests decide the clock. */
    interface Pause {
        void pause(Duration d) throws InterruptedException;
    }

    private final Cgroups cgroups;
    private final Duration budget;
    private final Pause pause;
    private final LongSupplier nanoTime;

    LimitedStart(Cgroups cgroups, Duration budget, Pause pause, LongSupplier nanoTime) {
        this.cgroups = cgroups;
        this.budget = budget;
        this.pause = pause;
        this.nanoTime = nanoTime;
    }

    static LimitedStart of(Cgroups cgroups, Duration budget) {
        return new LimitedStart(cgroups, budget, d -> Thread.sleep(d), System::nanoTime);
    }

    /**
     * Runs {@code attempt} until it succeeds, fails for a reason other than the pid limit, or the budget is spent.
     *
     * @param group the container's cgroup
     * @param what  what is being started, for messages ("process run-3 in web")
     */
    <T> T start(String group, String what, Supplier<T> attempt) {
        long deadline = nanoTime.getAsLong() + budget.toNanos();
        Duration backoff = FIRST_BACKOFF;
        for (int tries = 1; ; tries++) {
            long pidHits = cgroups.pidLimitHits(group);
            long oomKills = cgroups.oomKills(group);
            try {
                return attempt.get();
            } catch (GardenException e) {
                if (e.kind() != GardenException.Kind.INTERNAL) throw e;
                if (cgroups.oomKills(group) > oomKills) {
                    throw new ResourceExhaustedException("memory limit of the container reached" + memoryLimit(group)
                            + ": the kernel killed the runtime while it started " + what
                            + "; free memory in the container or raise its limit", e);
                }
                if (cgroups.pidLimitHits(group) <= pidHits) throw e;
                long left = deadline - nanoTime.getAsLong();
                if (left <= 0) {
                    ContainerMetrics.PidStat pids = cgroups.pidStat(group);
                    throw new ResourceExhaustedException("pid limit of the container reached (" + pids.current() + " of "
                            + pids.max() + "): cannot start " + what + " (" + tries + (tries == 1 ? " attempt" : " attempts")
                            + " in " + budget.toMillis() + " ms)", e);
                }
                Duration wait = backoff.toNanos() < left ? backoff : Duration.ofNanos(left);
                LOG.info("pid limit of {} reached while starting {}: retrying in {} ms (attempt {})", group, what,
                        wait.toMillis(), tries);
                try {
                    pause.pause(wait);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    private String memoryLimit(String group) {
        Long limit = cgroups.memory(group).fields().get("hierarchical_memory_limit");
        return limit == null || limit <= 0 || limit >= Long.MAX_VALUE / 2 ? "" : " (" + (limit >> 20) + " MiB)";
    }
}
