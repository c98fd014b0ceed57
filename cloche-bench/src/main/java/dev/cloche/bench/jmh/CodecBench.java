package dev.cloche.bench.jmh;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.wire.GardenJson;
import dev.cloche.wire.ProcessPayload;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;

/** The Garden JSON codec on the two hottest messages: a create's ContainerSpec and a run's ProcessPayload lines. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CodecBench {
    /** A realistic create: handle, grace time, env, properties, memory and pid limits. */
    final ContainerSpec spec = ContainerSpec.withHandle("bench-handle-0123456789")
            .withGraceTime(Duration.ofMinutes(5))
            .withEnv(List.of("PATH=/usr/bin:/bin", "HOME=/root", "LANG=C.UTF-8"))
            .withProperties(Map.of("owner", "bench", "app", "cloche", "ttl", "300"))
            .withLimits(Limits.NONE.withMemory(new MemoryLimits(256L << 20)).withPid(new PidLimits(1024)));
    final String specJson = GardenJson.encodeContainerSpec(spec);
    /** An output chunk as the NDJSON payload carries it (4 KiB of text). */
    final ProcessPayload exit = ProcessPayload.exit("proc-0123456789", 0);
    final String exitJson = exit.encode();
    final ProcessPayload stdin = ProcessPayload.stdin("proc-0123456789", "x".repeat(4096));
    final String stdinJson = stdin.encode();

    @Benchmark
    public String encodeContainerSpec() {
        return GardenJson.encodeContainerSpec(spec);
    }

    @Benchmark
    public ContainerSpec decodeContainerSpec() {
        return GardenJson.decodeContainerSpec(specJson);
    }

    @Benchmark
    public String encodeProcessPayloadExit() {
        return exit.encode();
    }

    @Benchmark
    public ProcessPayload decodeProcessPayloadExit() {
        return ProcessPayload.decode(exitJson);
    }

    @Benchmark
    public ProcessPayload decodeProcessPayloadStdin4k() {
        return ProcessPayload.decode(stdinJson);
    }
}
