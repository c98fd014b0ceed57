package dev.cloche.soak;

import static dev.cloche.soak.Ops.expect;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfo;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerMetricsEntry;
import dev.cloche.api.GardenClient;
import dev.cloche.api.PortMapping;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.TtySpec;
import dev.cloche.client.RemoteGardenClient;
import dev.cloche.tar.TarEntry;
import dev.cloche.tar.TarReader;
import dev.cloche.tar.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * SOAK_CLIENTS Garden clients, each with its own connection and a random generator seeded from SOAK_SEED and its
 * number, for SOAK_MINUTES: each holds up to three containers and picks its next call at random (create with limits,
 * run, run-then-attach, stream in, stream out, properties, metrics, info, net-in, list, destroy). Every answer is
 * checked; every error is unexpected. The daemon is sampled throughout (RSS, heap after GC, fds, threads).
 */
final class MixedLoad {
    private static final int MAX_HELD = 3;
    private static final double WARMUP_SECONDS = 60;

    private final SoakConfig cfg;
    private final DaemonProbe probe;
    private final Census census;
    private final Failures failures = new Failures("load");
    private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();
    private final AtomicLong seq = new AtomicLong();

    MixedLoad(SoakConfig cfg, DaemonProbe probe, Census census) {
        this.cfg = cfg;
        this.probe = probe;
        this.census = census;
    }

    Part run() throws Exception {
        Map<String, Long> before = census.take();
        long deadline = System.nanoTime() + cfg.minutes() * 60_000_000_000L;
        Map<String, List<Trend.Sample>> series;
        try (Sampler sampler = new Sampler(probe, cfg.sampleSeconds(), failures)) {
            List<Thread> clients = new ArrayList<>();
            for (int i = 0; i < cfg.clients(); i++) {
                int n = i;
                clients.add(Thread.ofVirtual().name("soak-client-" + n).start(() -> client(n, deadline)));
            }
            for (Thread t : clients) t.join();
            sampler.close();
            series = sampler.series();
        }
        Map<String, Long> after = census.settledAfter(before);
        return report(before, after, series);
    }

    /** One client's loop; it destroys what it still holds at the end. */
    private void client(int n, long deadline) {
        Random random = new Random(cfg.seed() * 1_000_003 + n);
        try (GardenClient garden = RemoteGardenClient.unix(cfg.socket())) {
            Held held = new Held(garden, n, new ArrayList<>(), new HashMap<>());
            while (System.nanoTime() < deadline) {
                step(held, random);
            }
            for (Container c : List.copyOf(held.containers())) call("destroy", () -> garden.destroy(c.handle()));
        } catch (RuntimeException e) {
            failures.record("client " + n, e);
        }
    }

    /** A client's containers and what it streamed into each. */
    private record Held(GardenClient garden, int client, List<Container> containers, Map<String, byte[]> files) {}

    private void step(Held h, Random r) {
        if (h.containers().isEmpty() || (h.containers().size() < MAX_HELD && r.nextInt(8) == 0)) {
            String handle = "soak-" + h.client() + "-" + seq.incrementAndGet();
            call("create", () -> h.containers().add(h.garden().create(
                    Ops.spec(handle, Map.of("soak.client", Integer.toString(h.client()))))));
            return;
        }
        Container c = h.containers().get(r.nextInt(h.containers().size()));
        String token = "t" + Long.toHexString(r.nextLong());
        switch (r.nextInt(14)) {
            case 0 -> call("run", () -> Ops.echo(c, token));
            case 1 -> call("run and attach", () -> runThenAttach(c, token));
            case 2 -> call("stream in", () -> {
                byte[] content = (token + "\n").repeat(1 + r.nextInt(2000)).getBytes(StandardCharsets.UTF_8);
                c.streamIn(new StreamInSpec("/tmp", "", new ByteArrayInputStream(
                        TarWriter.archive(TarEntry.file("soak.txt", 0644, content.length), content))));
                h.files().put(c.handle(), content);
            });
            case 3 -> call("stream out", () -> {
                byte[] want = h.files().get(c.handle());
                if (want == null) {
                    byte[] passwd = streamOut(c, "/etc/passwd");
                    expect(new String(passwd, StandardCharsets.UTF_8).startsWith("root:"), "stream out of /etc/passwd has no root");
                } else {
                    byte[] got = streamOut(c, "/tmp/soak.txt");
                    expect(java.util.Arrays.equals(got, want), "stream out gave " + got.length + " bytes, not the "
                            + want.length + " streamed in");
                }
            });
            case 4 -> call("properties", () -> {
                c.setProperty("soak.token", token);
                expect(token.equals(c.property("soak.token")), "property soak.token did not read back");
                expect(token.equals(c.properties().get("soak.token")), "properties lack soak.token");
                c.removeProperty("soak.token");
                expect(!c.properties().containsKey("soak.token"), "soak.token survived its removal");
            });
            case 5 -> call("metrics", () -> {
                expect(c.metrics().memory().totalUsageTowardLimit() > 0, "metrics show no memory use");
                Map<String, ContainerMetricsEntry> bulk = h.garden().bulkMetrics(List.of(c.handle()));
                expect(bulk.get(c.handle()).metrics().isPresent(), "bulk metrics: " + bulk.get(c.handle()).error());
            });
            case 6 -> call("info", () -> {
                ContainerInfo info = c.info();
                expect(info.properties().get("soak.client").equals(Integer.toString(h.client())), "info lost a property");
                expect(!info.containerIp().isEmpty(), "info has no container IP (networking is on)");
                ContainerInfoEntry bulk = h.garden().bulkInfo(List.of(c.handle())).get(c.handle());
                expect(bulk.info().isPresent(), "bulk info: " + bulk.error());
            });
            case 7 -> call("net in", () -> {
                PortMapping m = c.netIn(0, 8080);
                expect(m.hostPort() > 0 && m.containerPort() == 8080, "net in mapped " + m);
            });
            case 8 -> call("list", () -> {
                Set<String> mine = h.garden().containers(Map.of("soak.client", Integer.toString(h.client()))).stream()
                        .map(Container::handle).collect(Collectors.toSet());
                Set<String> held = h.containers().stream().map(Container::handle).collect(Collectors.toSet());
                expect(mine.equals(held), "list by property gave " + mine + ", the client holds " + held);
            });
            case 10 -> call("net out", () -> {
                // TCP to a documentation range (192.0.2.0/24, nothing answers there): the rule goes in, traffic is moot
                c.netOut(new NetOutRule(NetOutRule.Protocol.TCP, List.of(new NetOutRule.IpRange("192.0.2.0", "192.0.2.255")),
                        List.of(new NetOutRule.PortRange(80 + r.nextInt(100), 443)), Optional.empty(), false));
            });
            case 11 -> call("limits", () -> {
                expect(c.currentMemoryLimits().limitInBytes() == Ops.LIMITS.memory().limitInBytes(),
                        "memory limit reads back as " + c.currentMemoryLimits());
                expect(c.currentCpuLimits().weight() == Ops.LIMITS.cpu().weight(), "CPU weight reads back as " + c.currentCpuLimits());
            });
            case 12 -> call("run with a tty", () -> tty(c, token));
            default -> call("destroy", () -> {
                h.garden().destroy(c.handle());
                h.containers().remove(c);
                h.files().remove(c.handle());
            });
        }
    }

    /** Starts a process detached, then attaches to it by id and checks that its output arrives whole. */
    private static void runThenAttach(Container c, String token) {
        String id = "p-" + token;
        try (Process p = c.run(ProcessSpec.of("/bin/sh", "-c", "sleep 0.2; echo " + token).withId(id), ProcessIO.NONE)) {
            expect(p.id().equals(id), "run gave id " + p.id());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Process p = c.attach(id, ProcessIO.output(out, new ByteArrayOutputStream()))) {
            int status = p.await();
            expect(status == 0, "attached process exited " + status);
        }
        expect(out.toString(StandardCharsets.UTF_8).equals(token + "\n"), "attach gave '" + out + "'");
    }

    /** A process on a TTY of a given size: its output arrives (with the terminal's CR LF) and it sees the size. */
    private static void tty(Container c, String token) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (Process p = c.run(ProcessSpec.of("/bin/sh", "-c", "echo " + token + "; stty size")
                .withTty(Optional.of(TtySpec.of(91, 27))), ProcessIO.output(out, new ByteArrayOutputStream()))) {
            int status = p.await();
            expect(status == 0, "tty process exited " + status);
        }
        String text = out.toString(StandardCharsets.UTF_8);
        expect(text.equals(token + "\r\n27 91\r\n"), "tty output '" + text.replace("\r", "\\r").replace("\n", "\\n") + "'");
    }

    private static byte[] streamOut(Container c, String path) {
        try (InputStream in = c.streamOut(new StreamOutSpec(path, ""))) {
            TarReader r = new TarReader(in);
            Optional<TarEntry> e = r.next();
            expect(e.isPresent(), "stream out of " + path + " was an empty archive");
            byte[] content = r.content().readAllBytes();
            in.transferTo(java.io.OutputStream.nullOutputStream());
            return content;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void call(String op, Runnable action) {
        calls.computeIfAbsent(op, k -> new AtomicLong()).incrementAndGet();
        try {
            action.run();
        } catch (RuntimeException | AssertionError e) {
            failures.record(op, e);
        }
    }

    private Part report(Map<String, Long> before, Map<String, Long> after, Map<String, List<Trend.Sample>> series) {
        List<String> problems = new ArrayList<>();
        if (failures.count() > 0) problems.add(failures.count() + " unexpected errors");
        Map<String, Trend> trends = new TreeMap<>();
        series.forEach((k, v) -> {
            if (v.size() >= 2) trends.put(k, Trend.of(v, WARMUP_SECONDS));
        });
        if (trends.isEmpty()) problems.add("no samples of the daemon");
        trends.forEach((k, t) -> {
            if (!t.flat()) problems.add(k + " is not flat: " + Report.num(t.slopePerMinute()) + " per minute");
        });
        Map<String, Long> left = Census.leftOver(before, after);
        if (!left.isEmpty()) problems.add("left over after the load: " + left);
        long total = calls.values().stream().mapToLong(AtomicLong::get).sum();

        StringBuilder md = new StringBuilder();
        md.append("## Mixed load\n\n").append(cfg.clients()).append(" clients for ").append(cfg.minutes())
                .append(" min (seed ").append(cfg.seed()).append("): ").append(total).append(" calls, ")
                .append(failures.count()).append(" unexpected errors.\n\n| call | count | errors |\n| --- | --- | --- |\n");
        Map<String, Integer> errs = failures.byOp();
        new TreeMap<>(calls).forEach((op, n) -> md.append("| ").append(op).append(" | ").append(n.get()).append(" | ")
                .append(errs.getOrDefault(op, 0)).append(" |\n"));
        if (failures.count() > 0) {
            md.append("\nEvery unexpected error:\n\n");
            failures.lines().forEach(l -> md.append("- `").append(l.replace('`', '\'')).append("`\n"));
        }
        md.append("\nThe daemon, sampled every ").append(cfg.sampleSeconds()).append(" s (the first ")
                .append((int) WARMUP_SECONDS).append(" s are warm-up, left out of the fit):\n\n")
                .append("| series | samples | mean | slope per minute | rise over the run | noise allowed | flat |\n")
                .append("| --- | --- | --- | --- | --- | --- | --- |\n");
        trends.forEach((k, t) -> md.append("| ").append(k).append(" | ").append(t.samples()).append(" | ")
                .append(Report.num(t.mean())).append(" | ").append(Report.num(t.slopePerMinute())).append(" | ")
                .append(Report.num(t.rise())).append(" | ").append(Report.num(t.noise())).append(" | ")
                .append(t.flat() ? "yes" : "**no**").append(" |\n"));
        md.append("\n").append(Report.censusTable(before, after));

        Map<String, Object> json = new java.util.LinkedHashMap<>();
        json.put("clients", cfg.clients());
        json.put("minutes", cfg.minutes());
        json.put("seed", cfg.seed());
        Map<String, Long> callCounts = new TreeMap<>();
        calls.forEach((k, v) -> callCounts.put(k, v.get()));
        json.put("calls", callCounts);
        json.put("errors", failures.lines());
        json.put("trends", trends);
        json.put("series", series);
        json.put("censusBefore", before);
        json.put("censusAfter", after);
        return new Part("load", problems, md.toString(), json);
    }
}
