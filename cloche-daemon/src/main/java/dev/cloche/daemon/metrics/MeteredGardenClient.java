package dev.cloche.daemon.metrics;

import dev.cloche.api.Capacity;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerMetricsEntry;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The core as the daemon's front-ends see it, counting what happens through it: creates, destroys and their failures
 * by error kind, process starts, and the bytes of StreamIn/StreamOut (through {@link MeteredContainer}). A decorator,
 * so neither the core nor the API knows of metrics; what the core does on its own (the reaper) it reports through
 * {@link dev.cloche.core.CoreObserver}.
 */
public final class MeteredGardenClient implements GardenClient {
    private final GardenClient core;
    private final Meters meters;

    /** The counters a decorated client and its containers share. */
    record Meters(MeterRegistry registry, Counter creates, Counter destroys, Counter processesStarted,
                  Counter streamedIn, Counter streamedOut) {
        static Meters in(MeterRegistry r) {
            return new Meters(r,
                    Counter.builder("cloche.container.creates").description("Containers created").register(r),
                    Counter.builder("cloche.container.destroys").description("Containers destroyed by a call")
                            .register(r),
                    Counter.builder("cloche.process.starts").description("Processes started (Run)").register(r),
                    Counter.builder("cloche.stream.in").baseUnit("bytes")
                            .description("Tar bytes streamed into containers (StreamIn)").register(r),
                    Counter.builder("cloche.stream.out").baseUnit("bytes")
                            .description("Tar bytes streamed out of containers (StreamOut)").register(r));
        }

        /** Counts a failed call: {@code cloche_failures_total{op, kind}}. */
        void failed(String op, RuntimeException e) {
            Counter.builder("cloche.failures").description("Failed calls by operation and Garden error kind")
                    .tags("op", op, "kind", Failures.kind(e)).register(registry).increment();
        }
    }

    public MeteredGardenClient(GardenClient core, DaemonMetrics metrics) {
        this.core = Objects.requireNonNull(core, "core");
        this.meters = Meters.in(metrics.registry());
    }

    @Override
    public void ping() {
        core.ping();
    }

    @Override
    public Capacity capacity() {
        return core.capacity();
    }

    @Override
    public Container create(ContainerSpec spec) {
        Container c;
        try {
            c = core.create(spec);
        } catch (RuntimeException e) {
            meters.failed("create", e);
            throw e;
        }
        meters.creates().increment();
        return new MeteredContainer(c, meters);
    }

    @Override
    public void destroy(String handle) {
        try {
            core.destroy(handle);
        } catch (RuntimeException e) {
            meters.failed("destroy", e);
            throw e;
        }
        meters.destroys().increment();
    }

    @Override
    public List<Container> containers(Map<String, String> properties) {
        return core.containers(properties).stream().<Container>map(c -> new MeteredContainer(c, meters)).toList();
    }

    @Override
    public Map<String, ContainerInfoEntry> bulkInfo(List<String> handles) {
        return core.bulkInfo(handles);
    }

    @Override
    public Map<String, ContainerMetricsEntry> bulkMetrics(List<String> handles) {
        return core.bulkMetrics(handles);
    }

    @Override
    public Container lookup(String handle) {
        return new MeteredContainer(core.lookup(handle), meters);
    }

    /** Closes the core: the daemon's front-ends share it, so only the daemon calls this. */
    @Override
    public void close() {
        core.close();
    }
}
