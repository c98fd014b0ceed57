package dev.cloche.soak;

import dev.cloche.testkit.HostFootprint;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The host's and the daemon's counts before and after a part: {@link HostFootprint#census()} for the soak's depot,
 * cgroup parent and network prefix, plus the daemon's open fds and threads.
 */
final class Census {
    /** How long counts may take to settle after the last destroy (cgroup removal and reaping are asynchronous). */
    private static final long SETTLE_MILLIS = 60_000;

    private final HostFootprint footprint;
    private final DaemonProbe daemon;

    Census(SoakConfig cfg, DaemonProbe daemon) {
        this.footprint = new HostFootprint(cfg.depot(), cfg.runtime(), cfg.runtimeRoot(), cfg.depot().resolve("processes"),
                cfg.cgroupParent(), Optional.of(cfg.networkPrefix()));
        this.daemon = daemon;
    }

    Map<String, Long> take() {
        Map<String, Long> counts = new LinkedHashMap<>(footprint.census());
        counts.put("daemon open fds", daemon.openFds());
        counts.put("daemon threads", daemon.threads());
        return counts;
    }

    /** A census taken once nothing is above {@code before} any more, or when the settling time is spent. */
    Map<String, Long> settledAfter(Map<String, Long> before) throws InterruptedException {
        long end = System.currentTimeMillis() + SETTLE_MILLIS;
        Map<String, Long> after = take();
        while (!leftOver(before, after).isEmpty() && System.currentTimeMillis() < end) {
            Thread.sleep(1000);
            after = take();
        }
        return after;
    }

    /** What is higher after than before (a count that fell is not a leak); keys only one side has count from 0. */
    static Map<String, Long> leftOver(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> left = new LinkedHashMap<>();
        for (Map.Entry<String, Long> e : after.entrySet()) {
            long delta = e.getValue() - before.getOrDefault(e.getKey(), 0L);
            if (delta > 0) left.put(e.getKey(), delta);
        }
        return left;
    }
}
