package dev.cloche.soak;

import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import dev.cloche.client.RemoteGardenClient;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * SOAK_CYCLES create/run/destroy cycles, SOAK_WORKERS at a time, each over its own connection; a census of the
 * host and the daemon before and after, and the goal is that nothing is left.
 */
final class Churn {
    private final SoakConfig cfg;
    private final Census census;
    private final Failures failures = new Failures("churn");

    Churn(SoakConfig cfg, Census census) {
        this.cfg = cfg;
        this.census = census;
    }

    Part run() throws Exception {
        Map<String, Long> before = census.take();
        AtomicInteger next = new AtomicInteger();
        List<Double> cycleMillis = Collections.synchronizedList(new ArrayList<>());
        long start = System.nanoTime();
        List<Thread> workers = new ArrayList<>();
        for (int w = 0; w < cfg.workers(); w++) {
            workers.add(Thread.ofVirtual().start(() -> {
                try (GardenClient garden = RemoteGardenClient.unix(cfg.socket())) {
                    for (int i; (i = next.getAndIncrement()) < cfg.cycles(); ) {
                        long t0 = System.nanoTime();
                        if (cycle(garden, i)) cycleMillis.add((System.nanoTime() - t0) / 1e6);
                        if ((i + 1) % 500 == 0) {
                            System.out.printf("[churn] %d cycles in %.0f s%n", i + 1, (System.nanoTime() - start) / 1e9);
                        }
                    }
                }
            }));
        }
        for (Thread t : workers) t.join();
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Long> after = census.settledAfter(before);

        List<String> problems = new ArrayList<>();
        if (failures.count() > 0) problems.add(failures.count() + " unexpected errors");
        Map<String, Long> left = Census.leftOver(before, after);
        if (!left.isEmpty()) problems.add("left over: " + left);
        StringBuilder md = new StringBuilder("## Churn\n\n").append(cfg.cycles()).append(" create/run/destroy cycles, ")
                .append(cfg.workers()).append(" at a time, in ").append(Report.num(seconds)).append(" s");
        if (!cycleMillis.isEmpty()) {
            md.append(" (a cycle: median ").append(Report.num(Stats.median(cycleMillis))).append(" ms, p99 ")
                    .append(Report.num(Stats.percentile(cycleMillis, 99))).append(" ms)");
        }
        md.append("; ").append(failures.count()).append(" unexpected errors.\n\n");
        failures.lines().forEach(l -> md.append("- `").append(l.replace('`', '\'')).append("`\n"));
        md.append(failures.count() > 0 ? "\n" : "").append(Report.censusTable(before, after));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("cycles", cfg.cycles());
        json.put("workers", cfg.workers());
        json.put("seconds", seconds);
        if (!cycleMillis.isEmpty()) {
            json.put("cycleMillisMedian", Stats.median(cycleMillis));
            json.put("cycleMillisP99", Stats.percentile(cycleMillis, 99));
        }
        json.put("errors", failures.lines());
        json.put("censusBefore", before);
        json.put("censusAfter", after);
        json.put("leftOver", left);
        return new Part("churn", problems, md.toString(), json);
    }

    /** One cycle; false if a step failed (recorded), after destroying what it made. */
    private boolean cycle(GardenClient garden, int i) {
        String handle = "churn-" + i;
        Container c;
        try {
            c = garden.create(Ops.spec(handle, Map.of()));
        } catch (RuntimeException e) {
            failures.record("create " + handle, e);
            return false;
        }
        boolean ok = true;
        try {
            Ops.echo(c, "c" + i);
        } catch (RuntimeException e) {
            failures.record("run in " + handle, e);
            ok = false;
        }
        try {
            garden.destroy(handle);
        } catch (RuntimeException e) {
            failures.record("destroy " + handle, e);
            ok = false;
        }
        return ok;
    }
}
