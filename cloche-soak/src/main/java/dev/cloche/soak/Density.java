package dev.cloche.soak;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.client.RemoteGardenClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * SOAK_DENSITY idle containers held at once (no process but their init; created SOAK_WORKERS at a time, until the
 * count or the time budget is reached); then {@code list} and {@code info} latencies, a new create that runs a
 * process, the kernel's and the daemon's memory per container; then every container destroyed and the census
 * compared with the one before.
 */
final class Density {
    private static final double GOAL_MEDIAN_MILLIS = 50;
    private static final int LIST_SAMPLES = 30;
    private static final int INFO_SAMPLES = 200;

    private final SoakConfig cfg;
    private final DaemonProbe probe;
    private final Census census;
    private final Failures failures = new Failures("density");

    Density(SoakConfig cfg, DaemonProbe probe, Census census) {
        this.cfg = cfg;
        this.probe = probe;
        this.census = census;
    }

    Part run() throws Exception {
        Map<String, Long> before = census.take();
        HostMemory memBefore = HostMemory.read(cfg.cgroupParent());
        long rssBefore = probe.rssBytes();
        double heapBefore = probe.heapAfterGc();
        long start = System.nanoTime();
        long budgetEnd = cfg.densityBudgetMinutes().map(m -> start + (long) (m * 60e9)).orElse(Long.MAX_VALUE);
        List<String> handles = Collections.synchronizedList(new ArrayList<>());
        List<Double> createMillis = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        parallel(garden -> {
            for (int i; System.nanoTime() < budgetEnd && (i = next.getAndIncrement()) < cfg.density(); ) {
                String h = "dense-" + i;
                long t0 = System.nanoTime();
                try {
                    // grace time 0: never reaped while held, however long the run
                    garden.create(ContainerSpec.withHandle(h).withGraceTime(Duration.ZERO).withLimits(Ops.LIMITS));
                    handles.add(h);
                    createMillis.add((System.nanoTime() - t0) / 1e6);
                } catch (RuntimeException e) {
                    failures.record("create " + h, e);
                }
                if ((i + 1) % 250 == 0) {
                    System.out.printf("[density] %d created in %.0f s%n", i + 1, (System.nanoTime() - start) / 1e9);
                }
            }
        });
        double createSeconds = (System.nanoTime() - start) / 1e9;
        int held = handles.size();

        List<Double> listMillis = new ArrayList<>();
        List<Double> infoMillis = new ArrayList<>();
        double newCreateMillis = -1;
        HostMemory memHeld;
        long rssHeld;
        double heapHeld;
        try (GardenClient garden = RemoteGardenClient.unix(cfg.socket())) {
            Random r = new Random(cfg.seed());
            for (int i = 0; i < LIST_SAMPLES; i++) {
                long t0 = System.nanoTime();
                int n = garden.containers(Map.of()).size();
                listMillis.add((System.nanoTime() - t0) / 1e6);
                if (n != held) failures.record("list", new Ops.WrongAnswer("list gave " + n + " containers, " + held + " are held"));
            }
            for (int i = 0; i < INFO_SAMPLES && held > 0; i++) {
                String h = handles.get(r.nextInt(held));
                long t0 = System.nanoTime();
                try {
                    String state = garden.lookup(h).info().state();
                    infoMillis.add((System.nanoTime() - t0) / 1e6);
                    if (!state.equals("active")) failures.record("info " + h, new Ops.WrongAnswer("state " + state));
                } catch (RuntimeException e) {
                    failures.record("info " + h, e);
                }
            }
            memHeld = HostMemory.read(cfg.cgroupParent());
            rssHeld = probe.rssBytes();
            heapHeld = probe.heapAfterGc();
            long t0 = System.nanoTime();
            try {
                Container extra = garden.create(Ops.spec("dense-extra", Map.of()));
                try {
                    Ops.echo(extra, "extra");
                    newCreateMillis = (System.nanoTime() - t0) / 1e6;
                } finally {
                    garden.destroy(extra.handle());
                }
            } catch (RuntimeException e) {
                failures.record("a new create and run at " + held + " containers", e);
            }
        }

        long d0 = System.nanoTime();
        AtomicInteger gone = new AtomicInteger();
        parallel(garden -> {
            for (String h; (h = take(handles)) != null; ) {
                try {
                    garden.destroy(h);
                } catch (RuntimeException e) {
                    failures.record("destroy " + h, e);
                }
                if (gone.incrementAndGet() % 250 == 0) {
                    System.out.printf("[density] %d destroyed in %.0f s%n", gone.get(), (System.nanoTime() - d0) / 1e9);
                }
            }
        });
        double destroySeconds = (System.nanoTime() - d0) / 1e9;
        Map<String, Long> after = census.settledAfter(before);
        return report(before, after, held, createSeconds, destroySeconds, createMillis, listMillis, infoMillis,
                newCreateMillis, memBefore, memHeld, rssHeld - rssBefore, heapHeld - heapBefore);
    }

    private static String take(List<String> handles) {
        synchronized (handles) {
            return handles.isEmpty() ? null : handles.removeLast();
        }
    }

    private interface Work {
        void run(GardenClient garden);
    }

    /** SOAK_WORKERS threads, each with a connection of its own, until each returns. */
    private void parallel(Work work) throws InterruptedException {
        List<Thread> ts = new ArrayList<>();
        for (int w = 0; w < cfg.workers(); w++) {
            ts.add(Thread.ofVirtual().start(() -> {
                try (GardenClient garden = RemoteGardenClient.unix(cfg.socket())) {
                    work.run(garden);
                }
            }));
        }
        for (Thread t : ts) t.join();
    }

    private Part report(Map<String, Long> before, Map<String, Long> after, int held, double createSeconds,
                        double destroySeconds, List<Double> createMillis, List<Double> listMillis, List<Double> infoMillis,
                        double newCreateMillis, HostMemory memBefore, HostMemory memHeld, long rssDelta, double heapDelta) {
        List<String> problems = new ArrayList<>();
        if (held < cfg.density()) problems.add(held + " of " + cfg.density() + " containers held");
        if (failures.count() > 0) problems.add(failures.count() + " unexpected errors");
        Map<String, Long> left = Census.leftOver(before, after);
        if (!left.isEmpty()) problems.add("left over: " + left);
        double listMedian = listMillis.isEmpty() ? -1 : Stats.median(listMillis);
        double infoMedian = infoMillis.isEmpty() ? -1 : Stats.median(infoMillis);
        if (listMedian > GOAL_MEDIAN_MILLIS) problems.add("list's median " + Report.num(listMedian) + " ms is above 50 ms");
        if (infoMedian > GOAL_MEDIAN_MILLIS) problems.add("info's median " + Report.num(infoMedian) + " ms is above 50 ms");
        if (newCreateMillis < 0) problems.add("a new create did not work");
        int per = Math.max(held, 1);
        Map<String, Object> perContainer = new LinkedHashMap<>();
        perContainer.put("memAvailableKiB", (memBefore.memAvailableBytes() - memHeld.memAvailableBytes()) / 1024.0 / per);
        perContainer.put("slabKiB", (memHeld.slabBytes() - memBefore.slabBytes()) / 1024.0 / per);
        if (memHeld.cgroupBytes() >= 0) {
            perContainer.put("cgroupParentKiB", (memHeld.cgroupBytes() - memBefore.cgroupBytes()) / 1024.0 / per);
        }
        perContainer.put("daemonRssKiB", rssDelta / 1024.0 / per);
        perContainer.put("daemonHeapAfterGcKiB", heapDelta / 1024 / per);

        StringBuilder md = new StringBuilder("## Density\n\n").append(held).append(" of ").append(cfg.density())
                .append(" idle containers held (").append(cfg.workers()).append(" creates at a time");
        cfg.densityBudgetMinutes().ifPresent(m -> md.append(", a budget of ").append(Report.num(m)).append(" min for the creates"));
        md.append("), created in ").append(Report.num(createSeconds)).append(" s");
        if (!createMillis.isEmpty()) {
            md.append(" (a create: median ").append(Report.num(Stats.median(createMillis))).append(" ms, p99 ")
                    .append(Report.num(Stats.percentile(createMillis, 99))).append(" ms)");
        }
        md.append(", all destroyed in ").append(Report.num(destroySeconds)).append(" s; ").append(failures.count())
                .append(" unexpected errors.\n\n");
        failures.lines().forEach(l -> md.append("- `").append(l.replace('`', '\'')).append("`\n"));
        md.append("\n| with ").append(held).append(" held | median | p99 |\n| --- | --- | --- |\n");
        if (!listMillis.isEmpty()) md.append("| list (").append(listMillis.size()).append(" calls) | ").append(Report.num(listMedian))
                .append(" ms | ").append(Report.num(Stats.percentile(listMillis, 99))).append(" ms |\n");
        if (!infoMillis.isEmpty()) md.append("| info (").append(infoMillis.size()).append(" calls, random containers) | ")
                .append(Report.num(infoMedian)).append(" ms | ").append(Report.num(Stats.percentile(infoMillis, 99))).append(" ms |\n");
        md.append("\nA new create, with a process run in it, then destroyed: ")
                .append(newCreateMillis < 0 ? "**failed**" : Report.num(newCreateMillis) + " ms").append(".\n\n")
                .append("Memory per held container: ");
        List<String> mem = new ArrayList<>();
        perContainer.forEach((k, v) -> mem.add(k + " " + Report.num((Double) v)));
        md.append(String.join(", ", mem)).append(" (KiB; MemAvailable's fall, Slab's rise, the cgroup parent's charge, ")
                .append("the daemon's RSS and heap after GC, each divided by the containers held).\n\n")
                .append(Report.censusTable(before, after));

        Map<String, Object> json = new LinkedHashMap<>();
        json.put("asked", cfg.density());
        json.put("held", held);
        json.put("createSeconds", createSeconds);
        json.put("destroySeconds", destroySeconds);
        if (!createMillis.isEmpty()) json.put("createMillisMedian", Stats.median(createMillis));
        json.put("listMillisMedian", listMedian);
        json.put("infoMillisMedian", infoMedian);
        if (!listMillis.isEmpty()) json.put("listMillisP99", Stats.percentile(listMillis, 99));
        if (!infoMillis.isEmpty()) json.put("infoMillisP99", Stats.percentile(infoMillis, 99));
        json.put("newCreateMillis", newCreateMillis);
        json.put("perContainerKiB", perContainer);
        json.put("errors", failures.lines());
        json.put("censusBefore", before);
        json.put("censusAfter", after);
        json.put("leftOver", left);
        return new Part("density", problems, md.toString(), json);
    }
}
