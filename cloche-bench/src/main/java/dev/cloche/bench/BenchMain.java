package dev.cloche.bench;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.client.RemoteGardenClient;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cloche against the raw OCI runtime, interleaved round by round so both see the same machine noise. Run by
 * {@code make bench} against a daemon it starts; prints a markdown table and writes it to the output directory.
 *
 * <p>Usage: {@code BenchMain SOCKET RUNTIME ROOTFS OUTDIR [ROUNDS] [ITERATIONS]}
 */
public final class BenchMain {

    record Row(String scenario, Samples cloche, Samples raw) {}

    public static void main(String[] args) throws Exception {
        Path socket = Path.of(args[0]);
        String runtime = args[1];
        Path rootfs = Path.of(args[2]);
        Path out = Path.of(args[3]);
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 3;
        int iterations = args.length > 5 ? Integer.parseInt(args[5]) : 20;
        Map<String, Row> rows = new LinkedHashMap<>();
        rows.put("lifecycle", new Row("lifecycle: create + run /bin/true + destroy", new Samples(), new Samples()));
        rows.put("exec", new Row("exec: run /bin/true in a running container", new Samples(), new Samples()));
        Path work = Files.createTempDirectory("cloche-bench-");
        try (GardenClient garden = RemoteGardenClient.unix(socket); RawRuntime raw = new RawRuntime(runtime, work, rootfs)) {
            Container execTarget = garden.create(ContainerSpec.withHandle("bench-exec-" + System.nanoTime()));
            String rawExecId = "bench-exec-raw";
            Path rawExecBundle = raw.bundle(rawExecId);
            raw.create(rawExecId, rawExecBundle);
            try {
                for (int round = -1; round < rounds; round++) { // round -1 is the warm-up, not recorded
                    boolean record = round >= 0;
                    for (int i = 0; i < iterations; i++) {
                        long t0 = System.nanoTime();
                        try (Container c = garden.create(ContainerSpec.empty())) {
                            runTrue(c);
                        }
                        long t1 = System.nanoTime();
                        String id = "bench-" + round + "-" + i;
                        Path b = raw.bundle(id); // writing the bundle is not part of the raw runtime's cost
                        long t2 = System.nanoTime();
                        raw.create(id, b);
                        raw.execTrue(id, b);
                        raw.destroy(id, b);
                        long t3 = System.nanoTime();
                        runTrue(execTarget);
                        long t4 = System.nanoTime();
                        raw.execTrue(rawExecId, rawExecBundle);
                        long t5 = System.nanoTime();
                        if (record) {
                            rows.get("lifecycle").cloche().add(t1 - t0);
                            rows.get("lifecycle").raw().add(t3 - t2);
                            rows.get("exec").cloche().add(t4 - t3);
                            rows.get("exec").raw().add(t5 - t4);
                        }
                    }
                }
            } finally {
                execTarget.close();
                raw.destroy(rawExecId, rawExecBundle);
            }
        } finally {
            RawRuntime.run(List.of("rm", "-rf", work.toString()));
        }
        String table = report(rows.values(), runtime, rounds, iterations);
        System.out.println(table);
        Files.createDirectories(out);
        Files.writeString(out.resolve("latest.md"), table);
    }

    private static void runTrue(Container c) {
        int code = c.run(ProcessSpec.of("/bin/true"), ProcessIO.output(OutputStream.nullOutputStream(),
                OutputStream.nullOutputStream())).await();
        if (code != 0) {
            throw new IllegalStateException("/bin/true exited " + code);
        }
    }

    private static String report(Iterable<Row> rows, String runtime, int rounds, int iterations) {
        List<String> lines = new ArrayList<>();
        lines.add("# Cloche benchmark, " + Instant.now());
        lines.add("");
        lines.add(rounds + " rounds x " + iterations + " iterations after a warm-up round, interleaved; raw runtime: `"
                + runtime + "`. Times in ms.");
        lines.add("");
        lines.add("| scenario | Cloche median | Cloche p90 | raw median | raw p90 | Cloche / raw |");
        lines.add("|---|---:|---:|---:|---:|---:|");
        for (Row r : rows) {
            lines.add("| " + r.scenario() + " | " + Samples.ms(r.cloche().medianMs()) + " | " + Samples.ms(r.cloche().p90Ms())
                    + " | " + Samples.ms(r.raw().medianMs()) + " | " + Samples.ms(r.raw().p90Ms()) + " | "
                    + String.format(java.util.Locale.ROOT, "%.2f×", r.cloche().medianMs() / r.raw().medianMs()) + " |");
        }
        return String.join("\n", lines) + "\n";
    }
}
