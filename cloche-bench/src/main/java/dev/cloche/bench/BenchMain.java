package dev.cloche.bench;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.bench.Report.Row;
import dev.cloche.client.RemoteGardenClient;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Cloche against the raw OCI runtime and podman, in one run on one machine, interleaved iteration by iteration
 * (the order rotates) so all three see the same noise; then JMH for the in-process hot paths. Run by
 * {@code make bench} against a daemon it starts; prints the report and writes {@code latest.md} and
 * {@code latest.png} to the output directory. Every knob is a system property (see {@link Config}).
 */
public final class BenchMain {

    /** Knobs, from {@code -Dbench.*} (the Makefile maps its variables onto them). */
    record Config(Path socket, String runtime, Path rootfs, Path out, Path dir, long daemonPid, int rounds,
                  int iterations, int streamMiB, int streamRounds, int density, int densityPodman, List<Integer> clients,
                  int concurrencyCreates, boolean podman, boolean jmh, Set<String> scenarios, String label,
                  Optional<Path> engineSocket, String dockerHost, Optional<java.net.URI> debug, List<String> observers) {
        static Config fromProperties() {
            return new Config(Path.of(req("bench.socket")), prop("bench.runtime", "crun"), Path.of(req("bench.rootfs")),
                    Path.of(prop("bench.out", "docs/benchmarks")), Path.of(req("bench.dir")),
                    Long.parseLong(req("bench.daemonPid")), num("bench.rounds", 3), num("bench.iterations", 20),
                    num("bench.streamMiB", 1024), num("bench.streamRounds", 3), num("bench.density", 1000),
                    num("bench.densityPodman", 100),
                    Arrays.stream(prop("bench.clients", "1,4,16").split(",")).map(String::trim).map(Integer::parseInt).toList(),
                    num("bench.concurrencyCreates", 48), Boolean.parseBoolean(prop("bench.podman", "true")),
                    Boolean.parseBoolean(prop("bench.jmh", "true")),
                    Set.copyOf(List.of(prop("bench.scenarios", "lifecycle,exec,stream,density,concurrency,images,events").split(","))),
                    prop("bench.label", ""),
                    Optional.of(prop("bench.engineSocket", "")).filter(v -> !v.isBlank()).map(Path::of),
                    prop("bench.dockerHost", "unix:///run/cloche-test-engines/docker.sock"),
                    // the daemon's debug listener (--debug-listen), and who follows it in the observers' row
                    Optional.of(prop("bench.debug", "none")).filter(d -> !d.equals("none"))
                            .map(d -> java.net.URI.create("http://" + d)),
                    Arrays.stream(prop("bench.observers", "metrics").split(",")).map(String::trim)
                            .filter(o -> !o.isEmpty() && !o.equals("none")).toList());
        }

        private static String prop(String k, String d) {
            String v = System.getProperty(k, "");
            return v.isBlank() ? d : v;
        }

        private static String req(String k) {
            String v = System.getProperty(k, "");
            if (v.isBlank()) throw new IllegalArgumentException("missing -D" + k);
            return v;
        }

        private static int num(String k, int d) {
            return Integer.parseInt(prop(k, Integer.toString(d)));
        }

        int warmup() {
            return Math.max(3, iterations / 4);
        }

        List<String> producer() {
            return List.of("/bin/dd", "if=/dev/zero", "bs=1048576", "count=" + streamMiB);
        }
    }

    private final Config cfg;
    private final GardenClient garden;
    private final RawRuntime raw;
    private final Optional<Podman> podman;
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final AtomicInteger seq = new AtomicInteger();

    private BenchMain(Config cfg, GardenClient garden, RawRuntime raw, Optional<Podman> podman) {
        this.cfg = cfg;
        this.garden = garden;
        this.raw = raw;
        this.podman = podman;
    }

    public static void main(String[] args) throws Exception {
        Config cfg = Config.fromProperties();
        long started = System.nanoTime();
        Path rawDir = cfg.dir().resolve("raw");
        Leaks leaks = new Leaks(cfg.dir(), List.of(rawDir.resolve("state"), cfg.dir().resolve("runtime"),
                cfg.dir().resolve("depot/containers")), Leaks.ignored(cfg.daemonPid()));
        Map<String, Integer> before = leaks.snapshot();
        List<Row> rows;
        List<String> notes;
        Map<String, Integer> after;
        int leftInCloche;
        int leftInPodman = 0;
        try (GardenClient garden = RemoteGardenClient.unix(cfg.socket());
             RawRuntime raw = new RawRuntime(cfg.runtime(), rawDir, cfg.rootfs())) {
            Optional<Podman> podman = cfg.podman() ? Optional.of(new Podman(cfg.dir().resolve("podman"), cfg.rootfs()))
                    : Optional.empty();
            BenchMain b = new BenchMain(cfg, garden, raw, podman);
            try {
                b.runAll();
            } finally {
                if (podman.isPresent()) {
                    leftInPodman = podman.get().containerCount();
                    podman.get().close();
                }
            }
            rows = b.rows;
            notes = b.notes;
            leftInCloche = garden.containers(Map.of()).size();
        }
        after = leaks.snapshot();
        for (int i = 0; i < 50 && leaked(before, after); i++) { // cgroup removal and lazy reaping settle shortly
            Thread.sleep(200);
            after = leaks.snapshot();
        }
        List<Map.Entry<String, String>> leakLines = new ArrayList<>();
        for (String k : before.keySet()) {
            leakLines.add(Map.entry(k, before.get(k) + " → " + after.get(k)));
        }
        leakLines.add(Map.entry("Cloche containers left (garden.containers)", Integer.toString(leftInCloche)));
        leakLines.add(Map.entry("podman containers left", Integer.toString(leftInPodman)));
        long daemonErrors = daemonLogErrors(cfg.dir().resolve("daemon.log"));
        leakLines.add(Map.entry("ERROR lines in the daemon log", Long.toString(daemonErrors)));
        int errors = rows.stream().mapToInt(Row::errors).sum();
        boolean clean = !leaked(before, after) && leftInCloche == 0 && leftInPodman == 0 && errors == 0 && daemonErrors == 0;

        List<String[]> jmh = cfg.jmh() ? runJmh() : List.of();
        String md = render(cfg, rows, notes, leakLines, errors, clean, jmh, (System.nanoTime() - started) / 1e9);
        System.out.println(md);
        Files.createDirectories(cfg.out());
        Files.writeString(cfg.out().resolve("latest.md"), md);
        try {
            Report.chart(rows, subtitle(cfg), cfg.out().resolve("latest.png"));
        } catch (Exception | Error e) { // no fonts, no AWT: the markdown report still stands
            System.err.println("bench: chart not drawn: " + e);
        }
        if (!clean) {
            System.err.println("bench: errors or leaks, see the report");
            System.exit(2);
        }
    }

    /** A count that went up; one that went down (something of someone else's that we counted ended) is no leak. */
    private static boolean leaked(Map<String, Integer> before, Map<String, Integer> after) {
        return before.keySet().stream().anyMatch(k -> after.get(k) > before.get(k));
    }

    private void runAll() throws Exception {
        warmDaemon();
        if (cfg.scenarios().contains("lifecycle")) lifecycle();
        if (cfg.scenarios().contains("exec")) exec();
        if (cfg.scenarios().contains("stream")) stream();
        if (cfg.scenarios().contains("density")) density();
        if (cfg.scenarios().contains("concurrency")) concurrency();
        if (cfg.scenarios().contains("images")) {
            rows.addAll(new ImageRows(garden, (dev.cloche.api.ImageCatalog) garden, podman, cfg.rootfs(), cfg.iterations())
                    .measure(this::interleave));
        }
        if (cfg.scenarios().contains("coldstart")) {
            ColdStartRows cold = new ColdStartRows(garden, podman, cfg.iterations());
            rows.addAll(cold.measure(this::interleave));
            notes.addAll(cold.notes());
        }
        if (cfg.scenarios().contains("events")) { // EVENTS: what a follower of GET /events costs the lifecycle
            rows.addAll(new EventRows(garden, (dev.cloche.api.EventSource) garden, cfg.iterations()).measure(this::interleave));
        }
        if (cfg.scenarios().contains("engine")) {
            Path socket = cfg.engineSocket().orElseThrow(() -> new IllegalArgumentException(
                    "the engine scenario needs -Dbench.engineSocket, a daemon on the docker backend (make bench ENGINE=true)"));
            try (GardenClient onEngine = RemoteGardenClient.unix(socket)) {
                rows.addAll(new EngineRows(onEngine, garden, cfg.dockerHost(), cfg.rootfs(), cfg.iterations()).measure(this::interleave));
            }
        }
    }

    /**
     * A fresh daemon compiles its hot paths for its first few hundred operations, and on two cores the JIT's threads
     * compete with the runtime it spawns: exec took 48 ms over its first 25 runs and 20-25 ms after 200
     * (docs/benchmarks.md). The daemon is a long-running service, so it is measured warm: 30 lifecycles and 300
     * execs first, untimed. The raw runtime has no JIT to warm.
     */
    private void warmDaemon() {
        long t0 = System.nanoTime();
        for (int i = 0; i < 30; i++) {
            Container k = garden.create(ContainerSpec.empty());
            try {
                runTrue(k);
            } finally {
                k.destroy();
            }
        }
        Container k = garden.create(ContainerSpec.empty());
        try {
            for (int i = 0; i < 300; i++) runTrue(k);
        } finally {
            k.destroy();
        }
        System.err.printf("daemon warmed up in %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    // ---- lifecycle ------------------------------------------------------------------------------------------

    private void lifecycle() throws Exception {
        List<Samples> split = List.of(new Samples(), new Samples(), new Samples());
        Samples c = new Samples();
        Samples r = new Samples();
        Samples p = new Samples();
        interleave("lifecycle", List.of(
                () -> {
                    long t0 = System.nanoTime();
                    long t1;
                    long t2;
                    Container k = garden.create(ContainerSpec.empty());
                    try {
                        t1 = System.nanoTime();
                        runTrue(k);
                        t2 = System.nanoTime();
                    } finally {
                        k.destroy();
                    }
                    long t3 = System.nanoTime();
                    split.get(0).add((t1 - t0) / 1e6);
                    split.get(1).add((t2 - t1) / 1e6);
                    split.get(2).add((t3 - t2) / 1e6);
                    return t3 - t0;
                },
                () -> {
                    String id = "lc-" + seq.incrementAndGet();
                    Path b = raw.bundle(id, cfg.producer()); // writing the bundle is not part of the runtime's cost
                    long t0 = System.nanoTime();
                    raw.create(id, b);
                    raw.execTrue(id, b);
                    raw.destroy(id, b);
                    long t = System.nanoTime() - t0;
                    raw.dropBundle(b);
                    return t;
                },
                () -> {
                    long t0 = System.nanoTime();
                    podman.orElseThrow().runTrue();
                    return System.nanoTime() - t0;
                }), List.of(c, r, p), cfg.iterations(), 1e-6);
        notes.add(String.format(Locale.ROOT, "lifecycle, Cloche's parts (medians, warm-up included): create %.1f ms, run"
                + " /bin/true to its exit and output %.1f ms, destroy %.1f ms", split.get(0).median(), split.get(1).median(),
                split.get(2).median()));
        rows.add(new Row("lifecycle", "lifecycle: create + run /bin/true + destroy", "ms", false, c, Optional.of(r),
                podmanSamples(p), Optional.of(1.3), Optional.of(4.0),
                "raw: create, start idle init, exec, kill, wait, delete; podman: run --rm --network=none"));
        if (cfg.debug().isPresent() && !cfg.observers().isEmpty()) observerCost();
    }

    /** The same lifecycle with the daemon's observers followed and without (docs/observability.md, its cost). */
    private void observerCost() throws Exception {
        List<ObserverCost.Follower> followers = new ArrayList<>();
        try {
            for (String o : cfg.observers()) {
                followers.add(switch (o) {
                    case "metrics" -> new ObserverCost.MetricsScraper(cfg.debug().get());
                    // a follower of GET /events has a row of its own: the `events` scenario (EventRows)
                    default -> throw new IllegalArgumentException("bench.observers: unknown observer '" + o
                            + "' (known: metrics)");
                });
            }
            ObserverCost.Result res = ObserverCost.measure(() -> {
                long t0 = System.nanoTime();
                Container k = garden.create(ContainerSpec.empty());
                try {
                    runTrue(k);
                } finally {
                    k.destroy();
                }
                return System.nanoTime() - t0;
            }, followers, cfg.rounds(), cfg.iterations());
            notes.add(String.format(Locale.ROOT, "observers (%s): lifecycle median %.1f ms (p90 %.1f) followed, %.1f ms"
                            + " (p90 %.1f) not, %.3f× (goal ≤ 1.02×), %d + %d samples in alternating blocks of %d, errors %d;"
                            + " %s", String.join(",", cfg.observers()), res.with().median(), res.with().p90(),
                    res.without().median(), res.without().p90(), res.ratio(), res.with().size(), res.without().size(),
                    cfg.iterations(), res.with().errors + res.without().errors, String.join("; ", res.followers())));
        } finally {
            followers.forEach(ObserverCost.Follower::close);
        }
    }

    // ---- exec -----------------------------------------------------------------------------------------------

    private void exec() throws Exception {
        List<Samples> split = List.of(new Samples(), new Samples());
        Samples c = new Samples();
        Samples r = new Samples();
        Samples p = new Samples();
        String rawId = "exec-raw";
        Path rawBundle = raw.bundle(rawId, cfg.producer());
        String pmName = "cloche-bench-exec";
        Container target = garden.create(ContainerSpec.empty());
        try {
            raw.create(rawId, rawBundle);
            if (podman.isPresent()) podman.get().startIdle(pmName);
            try {
                interleave("exec", List.of(
                        () -> {
                            long t0 = System.nanoTime();
                            dev.cloche.api.Process proc = target.run(ProcessSpec.of("/bin/true"), ProcessIO.output(
                                    OutputStream.nullOutputStream(), OutputStream.nullOutputStream()));
                            long t1 = System.nanoTime();
                            int code = proc.await();
                            long t2 = System.nanoTime();
                            check(code == 0, "/bin/true exited " + code);
                            split.get(0).add((t1 - t0) / 1e6);
                            split.get(1).add((t2 - t1) / 1e6);
                            return t2 - t0;
                        },
                        () -> {
                            long t0 = System.nanoTime();
                            raw.execTrue(rawId, rawBundle);
                            return System.nanoTime() - t0;
                        },
                        () -> {
                            long t0 = System.nanoTime();
                            podman.orElseThrow().execTrue(pmName);
                            return System.nanoTime() - t0;
                        }), List.of(c, r, p), cfg.iterations(), 1e-6);
            } finally {
                raw.destroy(rawId, rawBundle);
                raw.dropBundle(rawBundle);
                if (podman.isPresent()) podman.get().remove(List.of(pmName));
            }
        } finally {
            target.destroy();
        }
        notes.add(String.format(Locale.ROOT, "exec, Cloche's parts (medians): `run` returns (process started) after %.1f ms,"
                + " `await` (exit status and all output) %.1f ms later", split.get(0).median(), split.get(1).median()));
        rows.add(new Row("exec", "exec: run /bin/true in a running container", "ms", false, c, Optional.of(r),
                podmanSamples(p), Optional.of(1.3), Optional.of(4.0), "raw: `" + cfg.runtime() + " exec`; podman exec"));
    }

    // ---- stream ---------------------------------------------------------------------------------------------

    private void stream() throws Exception {
        Samples c = new Samples();
        Samples r = new Samples();
        Samples p = new Samples();
        long expected = (long) cfg.streamMiB() << 20;
        String rawId = "stream-raw";
        Path rawBundle = raw.bundle(rawId, cfg.producer());
        String pmName = "cloche-bench-stream";
        Container target = garden.create(ContainerSpec.empty());
        try {
            raw.create(rawId, rawBundle);
            if (podman.isPresent()) podman.get().startIdle(pmName);
            try {
                interleave("stream", List.of(
                        () -> {
                            CountingStream out = new CountingStream();
                            long t0 = System.nanoTime();
                            int code = target.run(ProcessSpec.of(cfg.producer().getFirst(), cfg.producer().subList(1, cfg.producer().size()).toArray(String[]::new)),
                                    ProcessIO.output(out, OutputStream.nullOutputStream())).await();
                            long t = System.nanoTime() - t0;
                            check(code == 0 && out.n == expected, "Cloche stream: exit " + code + ", " + out.n + " bytes");
                            return t;
                        },
                        () -> {
                            long t0 = System.nanoTime();
                            long n = raw.execStream(rawId, rawBundle);
                            long t = System.nanoTime() - t0;
                            check(n == expected, "raw stream: " + n + " bytes");
                            return t;
                        },
                        () -> {
                            long t0 = System.nanoTime();
                            long n = podman.orElseThrow().execStream(pmName, cfg.producer());
                            long t = System.nanoTime() - t0;
                            check(n == expected, "podman stream: " + n + " bytes");
                            return t;
                        }), List.of(c, r, p), cfg.streamRounds(), 0);
            } finally {
                raw.destroy(rawId, rawBundle);
                raw.dropBundle(rawBundle);
                if (podman.isPresent()) podman.get().remove(List.of(pmName));
            }
        } finally {
            target.destroy();
        }
        // interleave recorded ns per transfer; the row is a rate
        rows.add(new Row("stream", "stream: stdout of `dd bs=1M count=" + cfg.streamMiB() + "` to the caller", "MiB/s", true,
                rate(c), Optional.of(rate(r)), podmanSamples(rate(p)), Optional.of(0.8), Optional.empty(),
                "raw: the runtime's own pipe read by Java; podman exec (through conmon)"));
    }

    private Samples rate(Samples ns) {
        Samples s = new Samples();
        s.errors = ns.errors;
        for (int i = 0; i < ns.size(); i++) {
            s.add(cfg.streamMiB() / (ns.percentile((int) Math.round(100.0 * (i + 1) / ns.size())) / 1e9));
        }
        return s;
    }

    // ---- density --------------------------------------------------------------------------------------------

    private void density() throws Exception {
        int n = cfg.density();
        Samples cCreate = new Samples();
        Samples rCreate = new Samples();
        Samples pCreate = new Samples();
        Samples cDestroy = new Samples();
        Samples rDestroy = new Samples();
        Samples pDestroy = new Samples();
        Samples rss = new Samples();
        Samples heap = new Samples();
        // Cloche. A warm-up batch first, so that the JVM's own growth (JIT code, heap regions G1 commits on first
        // use) is not counted as the containers' memory.
        List<Container> warm = new ArrayList<>();
        for (int i = 0; i < Math.min(50, n); i++) {
            warm.add(garden.create(ContainerSpec.empty()));
        }
        warm.forEach(Container::destroy);
        long[] m0 = daemonMemory();
        nativeMemory(true);
        List<Container> made = new ArrayList<>();
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < n; i++) {
                made.add(garden.create(ContainerSpec.empty()));
            }
            cCreate.add((System.nanoTime() - t0) / 1e9);
            System.err.printf(Locale.ROOT, "density: Cloche created %d in %.1f s%n", n, cCreate.median());
            long[] m1 = daemonMemory();
            nativeMemory(false);
            rss.add((m1[0] - m0[0]) / (double) n);
            heap.add((m1[1] - m0[1]) / (double) n);
            notes.add(String.format(Locale.ROOT, "density: daemon RSS %d → %d KiB (anonymous %d → %d, file %d → %d), live heap after"
                    + " a full GC %d → %d KiB (committed %d → %d) for %d containers", m0[0], m1[0], m0[2], m1[2], m0[3], m1[3],
                    m0[1], m1[1], m0[4], m1[4], n));
        } catch (RuntimeException e) {
            cCreate.errors++;
            System.err.println("density/Cloche: " + e);
        } finally {
            long t1 = System.nanoTime();
            for (Container c : made) {
                try {
                    c.destroy();
                } catch (RuntimeException e) {
                    cDestroy.errors++;
                    System.err.println("density/Cloche destroy: " + e);
                }
            }
            if (made.size() == n) cDestroy.add((System.nanoTime() - t1) / 1e9);
            System.err.printf(Locale.ROOT, "density: Cloche destroyed %d in %.1f s%n", made.size(), (System.nanoTime() - t1) / 1e9);
        }
        // raw
        List<String> ids = new ArrayList<>();
        List<Path> bundles = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add("dn-" + i);
            bundles.add(raw.bundle("dn-" + i, cfg.producer()));
        }
        int created = 0;
        t0 = System.nanoTime();
        try {
            for (; created < n; created++) {
                raw.create(ids.get(created), bundles.get(created));
            }
            rCreate.add((System.nanoTime() - t0) / 1e9);
            System.err.printf(Locale.ROOT, "density: raw created %d in %.1f s%n", n, rCreate.median());
        } catch (Exception e) {
            rCreate.errors++;
            System.err.println("density/raw: " + e);
        } finally {
            long t1 = System.nanoTime();
            for (int i = 0; i < created; i++) {
                try {
                    raw.destroy(ids.get(i), bundles.get(i));
                } catch (Exception e) {
                    rDestroy.errors++;
                    System.err.println("density/raw destroy: " + e);
                }
            }
            if (created == n) rDestroy.add((System.nanoTime() - t1) / 1e9);
            for (Path b : bundles) raw.dropBundle(b);
        }
        // podman, at its own (smaller) N; compared per container
        int pn = cfg.densityPodman();
        if (podman.isPresent() && pn > 0) {
            List<String> names = new ArrayList<>();
            t0 = System.nanoTime();
            try {
                for (int i = 0; i < pn; i++) {
                    podman.get().startIdle("cloche-bench-dn-" + i);
                    names.add("cloche-bench-dn-" + i);
                }
                pCreate.add((System.nanoTime() - t0) / 1e9 * n / pn);
            } catch (Exception e) {
                pCreate.errors++;
                System.err.println("density/podman: " + e);
            } finally {
                long t1 = System.nanoTime();
                try {
                    podman.get().remove(names);
                    if (names.size() == pn) pDestroy.add((System.nanoTime() - t1) / 1e9 * n / pn);
                } catch (Exception e) {
                    pDestroy.errors++;
                    System.err.println("density/podman destroy: " + e);
                }
            }
        }
        String pnote = podman.isPresent() && pn > 0 && pn != n ? "; podman measured at N=" + pn + " and scaled to " + n : "";
        rows.add(new Row("density-create", "density: create " + n + " idle containers, sequential", "s total", false,
                cCreate, Optional.of(rCreate), podmanSamples(pCreate), Optional.of(1.3), Optional.empty(),
                "raw: create + start" + pnote + "; podman: run -d"));
        rows.add(new Row("density-destroy", "density: destroy them all", "s total", false, cDestroy, Optional.of(rDestroy),
                podmanSamples(pDestroy), Optional.empty(), Optional.empty(),
                "raw: kill, wait, delete; podman: rm -f -t 0, 100 names per call"));
        rows.add(new Row("density-rss", "density: daemon RSS per idle container", "KiB", false, rss, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), "goal ≤ 64 KiB (" + (rss.median() <= 64 ? "met" : "missed")
                + "); raw and podman keep no daemon (podman: one conmon per container, ≈368 KiB Pss)"));
        rows.add(new Row("density-heap", "density: daemon live heap per idle container", "KiB", false, heap, Optional.empty(),
                Optional.empty(), Optional.empty(), Optional.empty(), "after `jcmd GC.run`; goal ≤ 64 KiB ("
                + (heap.median() <= 64 ? "met" : "missed") + ")"));
    }

    private static long statusKiB(List<String> status, String key) {
        return status.stream().filter(l -> l.startsWith(key)).map(l -> Long.parseLong(l.replaceAll("[^0-9]", ""))).findFirst().orElse(-1L);
    }

    /**
     * With {@code BENCH_DAEMON_OPTS=-XX:NativeMemoryTracking=summary}, where the daemon's memory went between two
     * points, printed to stderr: the first call sets the baseline. A daemon without NMT prints nothing.
     */
    private void nativeMemory(boolean baseline) {
        try {
            String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
            String out = RawRuntime.run(List.of(jcmd, Long.toString(cfg.daemonPid()), "VM.native_memory",
                    baseline ? "baseline" : "summary.diff"), List.of());
            if (!out.contains("not enabled") && !baseline) System.err.println("daemon native memory since the baseline:\n" + out);
        } catch (Exception e) {
            // diagnostics only
        }
    }

    /** [VmRSS, used heap, RssAnon, RssFile, committed heap] of the daemon in KiB, after a full GC. */
    private long[] daemonMemory() throws Exception {
        String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
        String pid = Long.toString(cfg.daemonPid());
        RawRuntime.run(List.of(jcmd, pid, "GC.run"));
        String info = RawRuntime.run(List.of(jcmd, pid, "GC.heap_info"), List.of());
        Matcher m = Pattern.compile("used (\\d+)K").matcher(info);
        if (!m.find()) throw new IllegalStateException("unexpected GC.heap_info: " + info);
        long heapK = Long.parseLong(m.group(1));
        Matcher c = Pattern.compile("committed (\\d+)K").matcher(info);
        long committedK = c.find() ? Long.parseLong(c.group(1)) : -1;
        List<String> status = Files.readAllLines(Path.of("/proc/" + pid + "/status"));
        return new long[] {statusKiB(status, "VmRSS:"), heapK, statusKiB(status, "RssAnon:"), statusKiB(status, "RssFile:"), committedK};
    }

    // ---- concurrency ----------------------------------------------------------------------------------------

    private void concurrency() throws Exception {
        for (int clients : cfg.clients()) {
            int per = Math.max(1, cfg.concurrencyCreates() / clients);
            int total = per * clients;
            Samples c = new Samples();
            Samples r = new Samples();
            Samples p = new Samples();
            // Cloche: one RemoteGardenClient per client thread
            List<GardenClient> perThread = new ArrayList<>();
            for (int i = 0; i < clients; i++) perThread.add(RemoteGardenClient.unix(cfg.socket()));
            List<Container> made = java.util.Collections.synchronizedList(new ArrayList<>());
            try {
                c.add(parallel(clients, i -> {
                    for (int k = 0; k < per; k++) made.add(perThread.get(i).create(ContainerSpec.empty()));
                }, total, c));
            } finally {
                parallel(clients, i -> {
                    for (int k = i; k < made.size(); k += clients) made.get(k).destroy();
                }, 1, c);
                perThread.forEach(GardenClient::close);
            }
            // raw
            List<String> ids = new ArrayList<>();
            List<Path> bundles = new ArrayList<>();
            for (int i = 0; i < total; i++) {
                ids.add("cc-" + clients + "-" + i);
                bundles.add(raw.bundle(ids.getLast(), cfg.producer()));
            }
            java.util.Set<Integer> rawMade = java.util.concurrent.ConcurrentHashMap.newKeySet();
            try {
                r.add(parallel(clients, i -> {
                    for (int k = i * per; k < (i + 1) * per; k++) {
                        raw.create(ids.get(k), bundles.get(k));
                        rawMade.add(k);
                    }
                }, total, r));
            } finally {
                parallel(clients, i -> {
                    for (int k = i * per; k < (i + 1) * per; k++) {
                        if (rawMade.contains(k)) raw.destroy(ids.get(k), bundles.get(k));
                    }
                }, 1, r);
                for (Path b : bundles) raw.dropBundle(b);
            }
            // podman
            if (podman.isPresent()) {
                List<String> names = java.util.Collections.synchronizedList(new ArrayList<>());
                try {
                    p.add(parallel(clients, i -> {
                        for (int k = 0; k < per; k++) {
                            String name = "cloche-bench-cc-" + i + "-" + k;
                            podman.get().startIdle(name);
                            names.add(name);
                        }
                    }, total, p));
                } finally {
                    podman.get().remove(new ArrayList<>(names));
                }
            }
            rows.add(new Row("creates/s @" + clients, "concurrency: creates per second, " + clients + " client"
                    + (clients == 1 ? "" : "s") + " (" + total + " creates)", "creates/s", true, c, Optional.of(r),
                    podmanSamples(p), Optional.empty(), Optional.empty(), "raw: create + start per thread; podman: run -d"));
        }
    }

    interface Task {
        void run(int client) throws Exception;
    }

    /** Runs {@code clients} tasks at once; returns {@code count} per second of wall time (errors go to {@code s}). */
    private static double parallel(int clients, Task task, int count, Samples s) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(clients);
        try {
            long t0 = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                int client = i;
                fs.add(pool.submit(() -> {
                    task.run(client);
                    return null;
                }));
            }
            Exception first = null;
            for (Future<?> f : fs) {
                try {
                    f.get();
                } catch (java.util.concurrent.ExecutionException e) {
                    s.errors++;
                    System.err.println("concurrency: " + e.getCause());
                    if (first == null) first = (Exception) (e.getCause() instanceof Exception x ? x : e);
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            if (first != null) throw first;
            return count / secs;
        } finally {
            pool.shutdown();
            pool.awaitTermination(1, TimeUnit.MINUTES);
        }
    }

    // ---- shared ---------------------------------------------------------------------------------------------

    interface Timed {
        long ns() throws Exception;
    }

    /**
     * A warm-up, then {@code rounds} rounds of {@code perRound} iterations; in each iteration every contender runs
     * once, in an order that rotates, so that none is always first after the others' noise.
     */
    private void interleave(String name, List<Timed> contenders, List<Samples> out, int perRound, double scale)
            throws Exception {
        int rounds = name.equals("stream") ? 1 : cfg.rounds();
        int warm = name.equals("stream") ? 1 : cfg.warmup();
        for (int round = -1; round < rounds; round++) {
            int iterations = round < 0 ? warm : perRound;
            for (int i = 0; i < iterations; i++) {
                for (int j = 0; j < contenders.size(); j++) {
                    int k = (i + j + Math.max(round, 0)) % contenders.size();
                    // the engine row's third contender is Cloche on Linux, which runs with or without podman
                    if (k == 2 && podman.isEmpty() && !name.equals("engine-lifecycle")) continue;
                    try {
                        long ns = contenders.get(k).ns();
                        if (round >= 0) out.get(k).add(scale == 0 ? ns : ns * scale);
                    } catch (Exception | Error e) {
                        out.get(k).errors++;
                        System.err.println(name + "/" + List.of("Cloche", "raw", "podman").get(k) + ": " + e);
                    }
                }
            }
            System.err.printf(Locale.ROOT, "%s: round %d done%n", name, round);
        }
    }

    private Optional<Samples> podmanSamples(Samples s) {
        return podman.isPresent() ? Optional.of(s) : Optional.empty();
    }

    private static void runTrue(Container c) {
        int code = c.run(ProcessSpec.of("/bin/true"), ProcessIO.output(OutputStream.nullOutputStream(),
                OutputStream.nullOutputStream())).await();
        check(code == 0, "/bin/true exited " + code);
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new IllegalStateException(what);
    }

    static final class CountingStream extends OutputStream {
        long n;

        @Override
        public void write(int b) {
            n++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            n += len;
        }
    }

    private static long daemonLogErrors(Path log) throws Exception {
        if (!Files.exists(log)) return 0;
        try (var lines = Files.lines(log)) {
            return lines.filter(l -> l.contains(" ERROR ") || l.contains("\"level\":\"ERROR\"")).count();
        }
    }

    // ---- JMH ------------------------------------------------------------------------------------------------

    private static List<String[]> runJmh() throws Exception {
        Collection<RunResult> results = new Runner(new OptionsBuilder()
                .include("dev\\.cloche\\.(bench\\.jmh|server)\\..*Bench.*")
                .warmupIterations(2).warmupTime(TimeValue.seconds(1))
                .measurementIterations(3).measurementTime(TimeValue.seconds(1))
                .forks(1).jvmArgsAppend("-Xmx512m", "--sun-misc-unsafe-memory-access=allow").shouldFailOnError(true).build()).run();
        List<String[]> rows = new ArrayList<>();
        for (RunResult r : results) {
            var p = r.getPrimaryResult();
            String name = r.getParams().getBenchmark().replaceFirst("^dev\\.cloche\\.", "");
            String extra = "";
            if (name.endsWith("64k")) {
                extra = String.format(Locale.ROOT, " (%.0f MiB/s)", p.getScore() * 64 / 1024);
            }
            rows.add(new String[] {name, String.format(Locale.ROOT, "%.1f ± %.1f", p.getScore(), p.getScoreError()),
                    p.getScoreUnit() + extra});
        }
        return rows;
    }

    // ---- report ---------------------------------------------------------------------------------------------

    private static String subtitle(Config cfg) {
        return Instant.now().toString().substring(0, 19) + "Z, raw runtime " + cfg.runtime() + ", " + cfg.rounds() + "×"
                + cfg.iterations() + " iterations, density N=" + cfg.density()
                + (cfg.label().isBlank() ? "" : " — " + (cfg.label().length() > 60 ? cfg.label().substring(0, 57) + "…" : cfg.label()));
    }

    private static String render(Config cfg, List<Row> rows, List<String> notes, List<Map.Entry<String, String>> leaks,
                                 int errors, boolean clean, List<String[]> jmh, double seconds) {
        List<String> l = new ArrayList<>();
        l.add("# Cloche benchmark, " + Instant.now());
        l.add("");
        if (!cfg.label().isBlank()) {
            l.add("**" + cfg.label() + "**");
            l.add("");
        }
        l.add(String.format(Locale.ROOT, "Raw runtime `%s`; %d rounds × %d iterations after %d warm-up iterations, the three"
                        + " contenders interleaved per iteration; stream %d × %d MiB; density N=%d (podman N=%d); concurrency"
                        + " %s clients, %d creates each level. Medians / p90. Depot and bench directory: `%s`. Run took %.0f s.",
                cfg.runtime(), cfg.rounds(), cfg.iterations(), cfg.warmup(), cfg.streamRounds(), cfg.streamMiB(),
                cfg.density(), cfg.podman() ? cfg.densityPodman() : 0, cfg.clients(), cfg.concurrencyCreates(), cfg.dir(), seconds));
        l.add("");
        l.add(Report.table(rows));
        l.add("");
        l.add("![ratios](latest.png)");
        l.add("");
        l.add("## Front-ends");
        l.add("");
        l.add("| front-end | figure | source |");
        l.add("|---|---|---|");
        l.add("| console: `task.start` → shell prompt over ssh | median 0.30 s (0.2–0.5 s, 15 runs, runc) | quoted from"
                + " `docs/console.md` (`ConsoleIT.timeFromTaskStartToAShellPrompt`), not re-measured here |");
        // scripts/bench-proxy.sh runs after this report and replaces this row with its figures
        l.add("| proxy overhead vs nginx | measured after this report: [proxy.md](proxy.md) (`PROXY=false` skips it) | `scripts/bench-proxy.sh` |");
        l.add("");
        l.add("## Errors and leaks");
        l.add("");
        l.add("| check | before → after |");
        l.add("|---|---|");
        for (Map.Entry<String, String> e : leaks) l.add("| " + e.getKey() + " | " + e.getValue() + " |");
        l.add("| errors in measured operations | " + errors + " |");
        l.add("");
        l.add(clean ? "**No error and no leaked resource across the run.**" : "**Errors or leaks: see above.**");
        l.add("");
        if (!notes.isEmpty()) {
            l.add("## Notes");
            l.add("");
            notes.forEach(n -> l.add("* " + n));
            l.add("");
        }
        if (!jmh.isEmpty()) {
            l.add("## JMH (in-process hot paths; `-wi 2 -i 3 -f 1`, 1 s iterations)");
            l.add("");
            l.add("| benchmark | score | unit |");
            l.add("|---|---:|---|");
            for (String[] j : jmh) l.add("| " + j[0] + " | " + j[1] + " | " + j[2] + " |");
            l.add("");
        }
        return String.join("\n", l);
    }
}
