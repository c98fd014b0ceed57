package dev.cloche.proxy;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ImageRef;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The environments' lifecycle over {@link GardenClient}: create (container, command, wait for the port), look up,
 * end early, end at the TTL, and find them again after a restart. Everything a restart needs is in container
 * properties ({@code proxy.*}), so the Garden server's containers are the only state.
 */
final class Environments implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Environments.class);
    static final String MARK = "proxy.env";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Ids that ended, remembered so they answer 410 Gone rather than 404; bounded, oldest forgotten first. */
    private static final int GONE_MEMORY = 10_000;

    /** Whether something accepts TCP connections at host:port: the one network side effect, fakeable in tests. */
    interface PortProbe {
        boolean accepts(String host, int port);
    }

    sealed interface Lookup {
        record Live(Environment env) implements Lookup {}

        record Gone() implements Lookup {}

        record Unknown() implements Lookup {}
    }

    private final GardenClient garden;
    private final ProxyConfig config;
    private final PortProbe probe;
    private final Clock clock;
    private final Map<String, Environment> live = new ConcurrentHashMap<>();
    private final Map<String, ScheduledFuture<?>> expiries = new ConcurrentHashMap<>();
    private final Map<String, Boolean> gone = Collections.synchronizedMap(new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> e) {
            return size() > GONE_MEMORY;
        }
    });
    private final Map<String, Integer> starting = new ConcurrentHashMap<>();
    /** Told the id of every environment that ends, before its container is destroyed (the relay closes its connections). */
    private final List<java.util.function.Consumer<String>> endListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("proxy-ttl").factory());

    Environments(GardenClient garden, ProxyConfig config, PortProbe probe, Clock clock) {
        this.garden = garden;
        this.config = config;
        this.probe = probe;
        this.clock = clock;
    }

    /** Finds the environments a previous run left: live ones are adopted with their TTL, expired ones destroyed. */
    void restore() {
        for (Container c : garden.containers(Map.of(MARK, "true"))) {
            try {
                Map<String, String> p = c.properties();
                String id = p.getOrDefault("proxy.id", "");
                Instant expires = Instant.ofEpochMilli(Long.parseLong(p.getOrDefault("proxy.expires", "0")));
                if (!expires.isAfter(clock.instant()) || id.isEmpty()) {
                    LOG.info("removing expired environment id={} handle={}", id, c.handle());
                    destroyQuietly(c.handle());
                    if (!id.isEmpty()) gone.put(id, true);
                    continue;
                }
                Environment env = new Environment(id, p.getOrDefault("proxy.template", "?"), c.handle(),
                        Instant.ofEpochMilli(Long.parseLong(p.getOrDefault("proxy.created", "0"))), expires,
                        c.info().containerIp(), Integer.parseInt(p.getOrDefault("proxy.port", "0")));
                adopt(env);
                LOG.info("adopted environment id={} expires={}", id, expires);
            } catch (RuntimeException e) {
                LOG.warn("cannot adopt environment container {}: {}", c.handle(), e.toString());
            }
        }
    }

    /** Takes an environment that already runs (after a restart) under the TTL's watch. */
    void adopt(Environment env) {
        live.put(env.id(), env);
        schedule(env);
    }

    /**
     * Creates an environment and returns once its server accepts connections. Throws {@link ProxyError} for the
     * proxy's own refusals and the core's {@link dev.cloche.api.GardenException} as it came.
     */
    Environment create(String templateName) {
        Template t = config.templates().get(templateName);
        if (t == null) throw new ProxyError(404, "unknown template: " + templateName + " (known: " + config.templates().keySet() + ")");
        reserve(t);
        String id = newId();
        String handle = "proxy-" + id;
        // millisecond precision: what the properties keep, so a restarted proxy describes it identically
        Instant created = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        Instant expires = created.plus(t.ttl());
        boolean made = false;
        try {
            Map<String, String> props = Map.of(MARK, "true", "proxy.id", id, "proxy.template", t.name(),
                    "proxy.created", Long.toString(created.toEpochMilli()), "proxy.expires", Long.toString(expires.toEpochMilli()),
                    "proxy.port", Integer.toString(t.port()));
            ContainerSpec spec = ContainerSpec.withHandle(handle).withProperties(props).withBindMounts(t.bindMounts())
                    .withLimits(t.limits());
            if (!t.image().isEmpty()) spec = spec.withImage(ImageRef.of(t.image()));
            Container c = garden.create(spec);
            made = true;
            Excerpt log = new Excerpt(4096);
            Process server = c.run(ProcessSpec.of(t.command().getFirst(), t.command().subList(1, t.command().size()).toArray(String[]::new))
                    .withId("server"), ProcessIO.output(log, log));
            String ip = c.info().containerIp();
            if (ip.isEmpty()) throw new ProxyError(503, "environment " + id + " has no network address (is networking off?)");
            awaitReady(id, server, log, ip, t.port());
            server.close(); // detach: the server runs on, its output stays with the container
            Environment env = new Environment(id, t.name(), handle, created, expires, ip, t.port());
            live.put(id, env);
            schedule(env);
            LOG.info("created environment id={} template={} ip={} expires={}", id, t.name(), ip, expires);
            return env;
        } catch (RuntimeException e) {
            // a container that never served is no environment; the error stays what it was (the endpoint answers it)
            if (made) destroyQuietly(handle);
            throw e;
        } finally {
            release(t);
        }
    }

    /** Counts live and starting environments of a template against its maximum, atomically per template. */
    private void reserve(Template t) {
        synchronized (starting) {
            long liveCount = live.values().stream().filter(e -> e.template().equals(t.name())).count();
            int inFlight = starting.getOrDefault(t.name(), 0);
            if (liveCount + inFlight >= t.maxLive()) {
                throw new ProxyError(429, "template " + t.name() + " has its maximum of " + t.maxLive()
                        + " live environments; try again when one expires or DELETE one");
            }
            starting.merge(t.name(), 1, Integer::sum);
        }
    }

    private void release(Template t) {
        synchronized (starting) {
            starting.merge(t.name(), -1, (a, b) -> a + b == 0 ? null : a + b);
        }
    }

    private void awaitReady(String id, Process server, Excerpt log, String ip, int port) {
        long deadline = System.nanoTime() + config.readyTimeout().toNanos();
        long pause = 10;
        while (true) {
            if (server.onExit().isDone()) {
                // the exit can be known before the last output reached us: await() also waits for the output
                try {
                    CompletableFuture.runAsync(server::await, Thread::startVirtualThread).get(2, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // show what arrived
                }
                throw new ProxyError(502, "environment " + id + ": its server exited with status " + server.onExit().join()
                        + " before accepting connections; its output: " + log.text());
            }
            if (probe.accepts(ip, port)) return;
            if (System.nanoTime() > deadline) {
                throw new ProxyError(504, "environment " + id + ": nothing accepted connections on port " + port
                        + " within " + config.readyTimeout().toSeconds() + " s; its output: " + log.text());
            }
            try {
                Thread.sleep(pause); // no event says "listening"; poll with a short back-off
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProxyError(503, "interrupted");
            }
            pause = Math.min(pause * 2, 100);
        }
    }

    private void schedule(Environment env) {
        long delay = Math.max(0, Duration.between(clock.instant(), env.expires()).toMillis());
        expiries.put(env.id(), timer.schedule(() -> end(env.id(), "ttl"), delay, TimeUnit.MILLISECONDS));
    }

    void onEnd(java.util.function.Consumer<String> listener) {
        endListeners.add(listener);
    }

    String defaultTemplate() {
        return config.defaultTemplate();
    }

    Lookup lookup(String id) {
        Environment e = live.get(id);
        if (e != null) return new Lookup.Live(e);
        return gone.containsKey(id) ? new Lookup.Gone() : new Lookup.Unknown();
    }

    List<Environment> list() {
        List<Environment> l = new ArrayList<>(live.values());
        l.sort(java.util.Comparator.comparing(Environment::created));
        return l;
    }

    /** Ends an environment: it answers 410 from now on and its container is destroyed. False if it was not live. */
    boolean end(String id, String why) {
        Environment e = live.remove(id);
        if (e == null) return false;
        gone.put(id, true);
        Optional.ofNullable(expiries.remove(id)).ifPresent(f -> f.cancel(false));
        LOG.info("ending environment id={} reason={}", id, why);
        for (var l : endListeners) {
            try {
                l.accept(id);
            } catch (RuntimeException x) {
                LOG.warn("closing the connections of environment {} failed: {}", id, x.toString());
            }
        }
        destroyQuietly(e.handle());
        return true;
    }

    private void destroyQuietly(String handle) {
        try {
            garden.destroy(handle);
        } catch (ContainerNotFoundException e) {
            // already gone
        } catch (RuntimeException e) {
            LOG.warn("cannot destroy {}: {}", handle, e.toString());
        }
    }

    private static String newId() {
        byte[] b = new byte[5];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** Environments outlive the proxy (a restart finds them again): closing only stops the TTL timer. */
    @Override
    public void close() {
        timer.shutdownNow();
    }

    /** Keeps the first bytes of a server's output, for the error when it fails to start. */
    static final class Excerpt extends OutputStream {
        private final ByteArrayOutputStream buf = new ByteArrayOutputStream();
        private final int max;

        Excerpt(int max) {
            this.max = max;
        }

        @Override
        public synchronized void write(int b) {
            if (buf.size() < max) buf.write(b);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            buf.write(b, off, Math.max(0, Math.min(len, max - buf.size())));
        }

        synchronized String text() {
            String s = buf.toString(StandardCharsets.UTF_8).strip();
            return s.isEmpty() ? "(none)" : s;
        }
    }
}
