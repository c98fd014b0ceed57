package dev.cloche.soak;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code make soak}: against the daemon the Makefile started on the soak's own socket, depot, cgroup parent and
 * network pool, runs the parts SOAK_PARTS names (load, churn, density; the fuzz part is the Makefile's), writes the
 * report and exits 1 if any part missed a goal.
 */
public final class SoakMain {
    private SoakMain() {}

    public static void main(String[] args) throws Exception {
        SoakConfig cfg = SoakConfig.fromProperties();
        DaemonProbe probe = new DaemonProbe(cfg.daemonPid(), cfg.javaHome(), cfg.debug());
        Census census = new Census(cfg, probe);
        List<Part> parts = new ArrayList<>();
        String started = Instant.now().toString();
        if (cfg.parts().stream().anyMatch(p -> !p.equals("fuzz"))) {
            warmUp(cfg);
            probe.heapAfterGc(); // the first jcmd starts the daemon's attach listener: a thread and a socket for good
            Thread.sleep(2000); // the warm-up's runtime processes finish exiting
        }
        for (String name : cfg.parts()) {
            System.out.println("[soak] " + name + " starts");
            Part p = switch (name) {
                case "load" -> new MixedLoad(cfg, probe, census).run();
                case "churn" -> new Churn(cfg, census).run();
                case "density" -> new Density(cfg, probe, census).run();
                case "fuzz" -> null; // the Makefile runs `make fuzz`
                default -> throw new IllegalArgumentException("unknown soak part: " + name + " (load, churn, density, fuzz)");
            };
            if (p == null) continue;
            parts.add(p);
            System.out.println("[soak] " + name + (p.passed() ? " passed" : " FAILED: " + String.join("; ", p.problems())));
        }
        if (parts.isEmpty()) return;
        String header = "Started " + started + ", " + Instant.now() + " at the end" + (cfg.label().isEmpty() ? "" : "; " + cfg.label())
                + ". Daemon: " + cfg.runtime() + ", networking on (prefix " + cfg.networkPrefix() + "), unprivileged containers, "
                + "cgroup parent " + cfg.cgroupParent() + ". Load average at the end: " + loadAverage() + ".";
        Path md = Report.write(cfg, parts, header);
        System.out.println(Files.readString(md));
        System.out.println("[soak] report: " + md + " and its .json");
        if (parts.stream().anyMatch(p -> !p.passed())) System.exit(1);
    }

    /**
     * A few cycles of every kind of call before the first census: the daemon makes its long-lived parts (thread pools,
     * the cgroup parent, the network's table and bridge chains) on first use, and those are not leaks.
     */
    private static void warmUp(SoakConfig cfg) throws InterruptedException {
        List<Thread> ts = new ArrayList<>();
        List<Throwable> failed = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int w = 0; w < cfg.workers(); w++) {
            int n = w;
            ts.add(Thread.ofVirtual().start(() -> {
                try (dev.cloche.api.GardenClient garden = dev.cloche.client.RemoteGardenClient.unix(cfg.socket())) {
                    for (int i = 0; i < 3; i++) {
                        dev.cloche.api.Container c = garden.create(Ops.spec("warmup-" + n + "-" + i, java.util.Map.of()));
                        Ops.echo(c, "warm");
                        c.netIn(0, 8080);
                        c.metrics();
                        c.streamOut(new dev.cloche.api.StreamOutSpec("/etc/passwd", "")).close();
                        garden.destroy(c.handle());
                    }
                } catch (Throwable e) {
                    failed.add(e);
                }
            }));
        }
        for (Thread t : ts) t.join();
        if (!failed.isEmpty()) throw new IllegalStateException("the warm-up failed: " + failed.getFirst(), failed.getFirst());
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (java.io.IOException e) {
            return "unknown";
        }
    }
}
