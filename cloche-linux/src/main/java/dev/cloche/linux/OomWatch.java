package dev.cloche.linux;

import dev.cloche.linux.cgroup.Cgroups;
import dev.cloche.spi.BackendEvents;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container's OOM kills as events: the kernel counts them in the container's memory cgroup ({@link Cgroups#oomKills});
 * each time one of its processes exits the count is read again, and kills not reported yet are reported to the core
 * ({@link BackendEvents#outOfMemory}) before that exit completes, so the kill comes before the exit it caused. A kill
 * of a process the core did not start (a child) is reported with the next exit. The first reading is a baseline: kills
 * from before a daemon restart are not reported again.
 */
final class OomWatch {
    private static final Logger LOG = LoggerFactory.getLogger(OomWatch.class);

    private final String handle;
    private final LongSupplier kills;
    private final Supplier<BackendEvents> events;
    /** Kills already accounted for; -1 until the baseline is read. */
    private long seen = -1;

    /** {@code kills}: the kernel's count for the container; {@code events}: where the backend reports (set late). */
    OomWatch(String handle, LongSupplier kills, Supplier<BackendEvents> events) {
        this.handle = handle;
        this.kills = kills;
        this.events = events;
    }

    static OomWatch of(ContainerIdentity container, Cgroups cgroups, Supplier<BackendEvents> events) {
        return new OomWatch(container.handle(), () -> cgroups.oomKills(container.group()), events);
    }

    /** Watches nothing (tests of the supervisor alone). */
    static OomWatch none() {
        return new OomWatch("", () -> 0, () -> BackendEvents.NONE);
    }

    /** Reads the baseline if there is none yet (before a process starts, so a kill of that process counts). */
    synchronized void prime() {
        if (seen < 0) {
            seen = kills.getAsLong();
        }
    }

    /** Reports the kills since the last reading; never throws (a cgroup that is gone reads 0 and reports nothing). */
    synchronized void check() {
        try {
            long now = kills.getAsLong();
            if (seen >= 0 && now > seen) {
                events.get().outOfMemory(handle, now - seen);
            }
            seen = Math.max(seen, now);
        } catch (RuntimeException e) {
            LOG.warn("cannot read the OOM kills of {}: {}", handle, e.toString());
        }
    }
}
