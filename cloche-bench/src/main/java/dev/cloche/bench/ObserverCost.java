package dev.cloche.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

/**
 * What the daemon's observers cost a lifecycle: the same Cloche lifecycle in alternating blocks, with the observers
 * following the daemon and without, the order of the two rotating per round so both see the same noise. The daemon
 * runs with its debug listener (and so its meters) on throughout: this measures what following it costs, on top of
 * the counters, which are a few atomic adds per request.
 */
final class ObserverCost {
    /** Something that follows the daemon while a block runs. */
    interface Follower extends AutoCloseable {
        String name();

        /** Begins following (a scrape at once, then one a second); idempotent with {@link #pause}. */
        void resume();

        void pause();

        /** One line about what it did (e.g. scrapes, their median time and size, errors). */
        String summary();

        @Override
        void close();
    }

    /** Scrapes {@code /metrics} once a second while resumed, as a Prometheus server would. */
    static final class MetricsScraper implements Follower {
        private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        private final URI uri;
        private final Samples millis = new Samples();
        private long bytes;
        private int errors;
        private volatile boolean active;
        private volatile boolean closed;
        private final Thread thread;

        MetricsScraper(URI debugBase) {
            this.uri = debugBase.resolve("/metrics");
            this.thread = Thread.ofPlatform().daemon().name("bench-scraper").start(this::loop);
        }

        private void loop() {
            while (!closed) {
                if (!active) {
                    sleep(20);
                    continue;
                }
                long t0 = System.nanoTime();
                try {
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    synchronized (this) {
                        if (r.statusCode() == 200) {
                            millis.add((System.nanoTime() - t0) / 1e6);
                            bytes = r.body().length;
                        } else {
                            errors++;
                        }
                    }
                } catch (Exception e) {
                    synchronized (this) {
                        errors++;
                    }
                    if (e instanceof InterruptedException) {
                        return;
                    }
                }
                // once a second while active; a pause cuts the wait short
                long until = t0 + 1_000_000_000L;
                while (active && !closed && System.nanoTime() < until) {
                    sleep(10);
                }
            }
        }

        private static void sleep(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public String name() {
            return "/metrics scraper (1/s)";
        }

        @Override
        public void resume() {
            active = true;
        }

        @Override
        public void pause() {
            active = false;
        }

        @Override
        public synchronized String summary() {
            return String.format(Locale.ROOT, "%d scrapes, median %.1f ms, p90 %.1f ms, %d bytes each, %d errors",
                    millis.size(), millis.size() == 0 ? Double.NaN : millis.median(),
                    millis.size() == 0 ? Double.NaN : millis.percentile(90), bytes, errors);
        }

        int errors() {
            synchronized (this) {
                return errors;
            }
        }

        @Override
        public void close() {
            closed = true;
            thread.interrupt();
        }
    }

    record Result(Samples without, Samples with, List<String> followers) {
        double ratio() {
            return with.median() / without.median();
        }
    }

    private ObserverCost() {
    }

    /**
     * {@code rounds} rounds (after one warm-up round) of two blocks of {@code iterations} lifecycles each, one with
     * every follower resumed and one with all paused.
     */
    static Result measure(Callable<Long> lifecycleNanos, List<Follower> followers, int rounds, int iterations)
            throws Exception {
        Samples without = new Samples();
        Samples with = new Samples();
        for (int round = -1; round < rounds; round++) {
            for (int block = 0; block < 2; block++) {
                boolean following = (block + Math.max(round, 0)) % 2 == 1;
                followers.forEach(following ? Follower::resume : Follower::pause);
                Samples into = following ? with : without;
                for (int i = 0; i < iterations; i++) {
                    try {
                        long ns = lifecycleNanos.call();
                        if (round >= 0) into.add(ns / 1e6);
                    } catch (Exception | Error e) {
                        into.errors++;
                        System.err.println("observers/lifecycle: " + e);
                    }
                }
            }
            followers.forEach(Follower::pause);
            System.err.printf(Locale.ROOT, "observers: round %d done%n", round);
        }
        List<String> lines = new ArrayList<>();
        for (Follower f : followers) lines.add(f.name() + ": " + f.summary());
        return new Result(without, with, lines);
    }
}
