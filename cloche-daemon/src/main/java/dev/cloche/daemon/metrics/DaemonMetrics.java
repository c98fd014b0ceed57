package dev.cloche.daemon.metrics;

import dev.cloche.core.CoreObserver;
import dev.cloche.server.RequestObserver;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * Every meter of the daemon, in one Prometheus registry: the server's requests (a {@link RequestObserver}), the
 * reaper (a {@link CoreObserver}), what {@link MeteredGardenClient} and {@link MeteredImageCatalog} count, gauges
 * over the core ({@link ContainerCensus}), the proxy and the console, and the JVM's. Names follow Prometheus
 * conventions (no counter ends in created/total/info/bucket: the exporter adds {@code _total}); docs/observability.md
 * lists them.
 */
public final class DaemonMetrics implements RequestObserver, CoreObserver, AutoCloseable {
    /** Latency buckets: Garden's calls span a ping (sub-ms) to a create from a cold image (tens of seconds). */
    private static final Duration[] BUCKETS = {
            Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
            Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
            Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
            Duration.ofSeconds(30)};

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final JvmGcMetrics gc = new JvmGcMetrics();
    private final Counter reaped;
    private final Counter reapFailures;

    public DaemonMetrics() {
        new JvmMemoryMetrics().bindTo(registry);
        gc.bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ClassLoaderMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new FileDescriptorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        reaped = Counter.builder("cloche.reaper.reaped")
                .description("Containers destroyed because their grace time expired").register(registry);
        reapFailures = Counter.builder("cloche.reaper.failures")
                .description("Containers whose grace time expired but whose destroy failed").register(registry);
    }

    /** The registry, for the meters of the decorators and gauges. */
    MeterRegistry registry() {
        return registry;
    }

    /** The Prometheus text exposition of every meter. */
    public String scrape() {
        return registry.scrape();
    }

    /** Latency buckets shared by every timer here. */
    static Timer.Builder timer(String name) {
        return Timer.builder(name).serviceLevelObjectives(BUCKETS).minimumExpectedValue(BUCKETS[0])
                .maximumExpectedValue(BUCKETS[BUCKETS.length - 1]);
    }

    @Override
    public void answered(String route, int status, long durationNanos) {
        timer("cloche.requests").description("Garden API requests by route and HTTP status")
                .tags("route", route, "status", Integer.toString(status)).register(registry)
                .record(durationNanos, TimeUnit.NANOSECONDS);
    }

    @Override
    public void reaped(String handle) {
        reaped.increment();
    }

    @Override
    public void reapFailed(String handle, RuntimeException error) {
        reapFailures.increment();
    }

    /** A gauge read when scraped; {@code obj} is held strongly (Micrometer would hold it weakly). */
    <T> void gauge(String name, String description, T obj, ToDoubleFunction<T> value, String... tags) {
        Gauge.builder(name, obj, value).description(description).tags(tags).strongReference(true).register(registry);
    }

    @Override
    public void close() {
        gc.close();
        registry.close();
    }
}
