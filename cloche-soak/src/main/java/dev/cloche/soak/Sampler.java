package dev.cloche.soak;

import dev.cloche.soak.Trend.Sample;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Samples the daemon every few seconds on a thread of its own until closed; each series is kept in order. */
final class Sampler implements AutoCloseable {
    private final DaemonProbe probe;
    private final long periodMillis;
    private final Failures failures;
    private final Map<String, List<Sample>> series = new LinkedHashMap<>();
    private final long start = System.nanoTime();
    private final Thread thread;
    private final java.util.concurrent.CountDownLatch stop = new java.util.concurrent.CountDownLatch(1);

    Sampler(DaemonProbe probe, int periodSeconds, Failures failures) {
        this.probe = probe;
        this.periodMillis = periodSeconds * 1000L;
        this.failures = failures;
        this.thread = Thread.ofPlatform().name("soak-sampler").start(this::loop);
    }

    private void loop() {
        try {
            do {
                long next = System.currentTimeMillis() + periodMillis;
                sampleOnce();
                // not an interrupt: that would kill a jcmd in flight
                if (stop.await(Math.max(0, next - System.currentTimeMillis()), java.util.concurrent.TimeUnit.MILLISECONDS)) return;
            } while (true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void sampleOnce() {
        double t = (System.nanoTime() - start) / 1e9;
        try {
            Map<String, Double> s = probe.sample();
            synchronized (series) {
                s.forEach((k, v) -> series.computeIfAbsent(k, x -> new ArrayList<>()).add(new Sample(t, v)));
            }
        } catch (RuntimeException e) {
            failures.record("sample the daemon", e);
        }
    }

    Map<String, List<Sample>> series() {
        synchronized (series) {
            Map<String, List<Sample>> copy = new LinkedHashMap<>();
            series.forEach((k, v) -> copy.put(k, List.copyOf(v)));
            return copy;
        }
    }

    /** Stops sampling, after one last sample. */
    @Override
    public void close() {
        stop.countDown();
        try {
            thread.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sampleOnce();
    }
}
