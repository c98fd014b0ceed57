package dev.cloche.proxy;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenClient;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
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
 * The environments' lifecycle over {@link GardenClient}: create (container, command, wait for the readiness check,
 * known as starting meanwhile), look up, end early, end by its {@link Lifetime} (a fixed TTL, or idle time up to a
 * hard maximum, from each environment's {@link Activity}), and find them again after a restart. Everything a restart
 * needs is in container properties ({@code proxy.*}), so the Garden server's containers are the only state.
 */
final class Environments implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Environments.class);
    static final String MARK = "proxy.env";
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Ids that ended, remembered so they answer 410 Gone rather than 404; bounded, oldest forgotten first. */
    private static final int GONE_MEMORY = 10_000;

    sealed interface Lookup {
        record Live(Environment env) implements Lookup {}

        /** Its container runs, its server has not passed its readiness check yet: {@code ready} completes when it has. */
        record Starting(Environment env, CompletableFuture<Environment> ready) implements Lookup {}

        record Gone() implements Lookup {}

        record Unknown() implements Lookup {}
    }

    private final GardenClient garden;
    private final ProxyConfig config;
    private final ReadinessWait readiness;
    private final Clock clock;
    private final Map<String, Environment> live = new ConcurrentHashMap<>();
    private final Map<String, Lookup.Starting> startingEnvs = new ConcurrentHashMap<>();
    private final Map<String, Activity> activities = new ConcurrentHashMap<>();
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
    private final WarmPool warm;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("proxy-ttl").factory());

    Environments(GardenClient garden, ProxyConfig config, Readiness.Probe probe, Clock clock) {
        this.garden = garden;
        this.config = config;
        this.readiness = new ReadinessWait(probe);
        this.clock = clock;
        this.warm = new WarmPool(garden);
    }

    /**
     * Finds the environments a previous run left: live ones are adopted with their TTL, expired ones destroyed. Then
     * makes the templates' containers ahead ({@link WarmPool}).
     */
    void restore() {
        adoptLeftEnvironments();
        warm.start(config.templates().values());
    }

    private void adoptLeftEnvironments() {
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
                Template t = config.templates().get(env.template());
                // a restart counts as use: an idle lifetime starts its countdown again, never past the hard end
                Lifetime lifetime = t != null && t.lifetime() instanceof Lifetime.Idle(var idle, var max)
                        ? new Lifetime.Idle(idle, max) : new Lifetime.Fixed(Duration.between(env.created(), expires));
                adopt(env, lifetime);
                LOG.info("adopted environment id={} expires={}", id, expires);
            } catch (RuntimeException e) {
                LOG.warn("cannot adopt environment container {}: {}", c.handle(), e.toString());
            }
        }
    }

    /** Takes an environment that already runs (after a restart) under its lifetime's watch. */
    void adopt(Environment env, Lifetime lifetime) {
        activities.put(env.id(), new Activity(lifetime, env.created(), clock));
        live.put(env.id(), env);
        schedule(env.id());
    }

    /** Takes an environment that already runs under a fixed TTL ending at its {@code expires}. */
    void adopt(Environment env) {
        adopt(env, new Lifetime.Fixed(Duration.between(env.created(), env.expires())));
    }

    /**
     * Creates an environment and returns once its server passes its template's readiness check; meanwhile it is
     * {@link Lookup.Starting}. A server that fails the check (exits, or the template's timeout passes) ends it. Throws {@link ProxyError} for the
     * proxy's own refusals and the core's {@link dev.cloche.api.GardenException} as it came.
     */
    Environment create(String templateName) {
        Template t = config.templates().get(templateName);
        if (t == null) throw new ProxyError(404, "unknown template: " + templateName + " (known: " + config.templates().keySet() + ")");
        reserve(t);
        String id = newId();
        Optional<WarmPool.Warm> taken = warm.take(t);
        String handle = taken.map(w -> w.container().handle()).orElse("proxy-" + id);
        // millisecond precision: what the properties keep, so a restarted proxy describes it identically
        Instant created = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
        Instant expires = created.plus(t.ttl()); // the hard end; an idle lifetime may end it sooner
        boolean made = false;
        try {
            Map<String, String> props = Map.of(MARK, "true", "proxy.id", id, "proxy.template", t.name(),
                    "proxy.created", Long.toString(created.toEpochMilli()), "proxy.expires", Long.toString(expires.toEpochMilli()),
                    "proxy.port", Integer.toString(t.port()));
            Container c;
            CompletableFuture<String> address;
            if (taken.isPresent()) {
                c = taken.get().container();
                made = true;
                address = CompletableFuture.completedFuture(taken.get().ip());
            } else {
                c = garden.create(t.containerSpec(handle, props));
                made = true;
                address = CompletableFuture.supplyAsync(() -> c.info().containerIp(), Thread::startVirtualThread);
            }
            ReadinessWait.Excerpt log = new ReadinessWait.Excerpt(4096);
            Process server = c.run(ProcessSpec.of(t.command().getFirst(), t.command().subList(1, t.command().size()).toArray(String[]::new))
                    .withId("server"), ProcessIO.output(log, log));
            String ip = joined(address);
            if (ip.isEmpty()) throw new ProxyError(503, "environment " + id + " has no network address (is networking off?)");
            Environment env = new Environment(id, t.name(), handle, created, expires, ip, t.port());
            CompletableFuture<Environment> ready = new CompletableFuture<>();
            startingEnvs.put(id, new Lookup.Starting(env, ready));
            long t0 = System.nanoTime();
            readiness.await(id, server, log, ip, t.readiness(), t.readyTimeout());
            server.close(); // detach: the server runs on, its output stays with the container
            activities.put(id, new Activity(t.lifetime(), created, clock));
            boolean[] promoted = {false};
            startingEnvs.computeIfPresent(id, (k, v) -> {
                live.put(id, env); // before it leaves the starting ones, so that a lookup always finds it
                promoted[0] = true;
                return null;
            });
            if (!promoted[0]) {
                activities.remove(id);
                throw new ProxyError(410, "environment " + id + " was ended while it was starting");
            }
            ready.complete(env);
            schedule(id);
            if (taken.isPresent()) {
                // behind the answer: what a restart needs (until then a restart takes it for one made ahead), then the
                // replacement, neither competing with the server's start
                Thread.ofVirtual().name("warm-" + id).start(() -> {
                    try {
                        props.forEach(c::setProperty);
                    } catch (ContainerNotFoundException e) {
                        // ended meanwhile: nothing for a restart to find
                    } catch (RuntimeException e) {
                        LOG.warn("environment id={}: its properties were not all set, a restart will not find it: {}", id, e.toString());
                    }
                    warm.refill(t);
                });
            }
            LOG.info("created environment id={} template={} ip={} ready after {} ms, expires={}", id, t.name(), ip,
                    (System.nanoTime() - t0) / 1_000_000, expires);
            return env;
        } catch (RuntimeException e) {
            // a container that never served is no environment; the error stays what it was (the endpoint answers it)
            Lookup.Starting s = startingEnvs.remove(id);
            if (s != null) {
                gone.put(id, true);
                s.ready().completeExceptionally(e);
            }
            if (made) destroyQuietly(handle);
            if (taken.isPresent()) warm.refill(t);
            throw e;
        } finally {
            release(t);
        }
    }

    /** The value of a future of this class's own, its failure as it was thrown. */
    private static <T> T joined(CompletableFuture<T> f) {
        try {
            return f.join();
        } catch (java.util.concurrent.CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
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

    /** Checks the environment at its lifetime's current end: ends it if it expired, else looks again then. */
    private void schedule(String id) {
        Activity a = activities.get(id);
        if (a == null) return;
        long delay = Math.max(0, Duration.between(clock.instant(), a.expires()).toMillis());
        expiries.put(id, timer.schedule(() -> expireOrReschedule(id), delay, TimeUnit.MILLISECONDS));
    }

    private void expireOrReschedule(String id) {
        Activity a = activities.get(id);
        if (a == null) return;
        if (!a.expired()) {
            schedule(id); // used meanwhile, or in use now: its end moved
            return;
        }
        end(id, clock.instant().isBefore(a.hardEnd()) ? "idle" : "ttl");
    }

    /** The use of a live environment, to record requests and tunnels; {@link Activity#NONE} for any other id. */
    Activity activity(String id) {
        return activities.getOrDefault(id, Activity.NONE);
    }

    /** When a live environment ends as things stand (its lifetime and use); its hard end if not live. */
    Instant expires(Environment e) {
        Activity a = activities.get(e.id());
        return a == null ? e.expires() : a.expires();
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
        Lookup.Starting s = startingEnvs.get(id);
        if (s != null) return s;
        return gone.containsKey(id) ? new Lookup.Gone() : new Lookup.Unknown();
    }

    /** The live environments and those still starting. */
    List<Environment> list() {
        List<Environment> l = new ArrayList<>(live.values());
        startingEnvs.values().forEach(s -> l.add(s.env()));
        l.sort(java.util.Comparator.comparing(Environment::created));
        return l;
    }

    /** Ends an environment: it answers 410 from now on and its container is destroyed. False if it was not live. */
    boolean end(String id, String why) {
        Environment e = live.remove(id);
        if (e == null) return endStarting(id, why);
        gone.put(id, true);
        Optional.ofNullable(expiries.remove(id)).ifPresent(f -> f.cancel(false));
        activities.remove(id);
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

    /** Ends an environment still starting: its creation fails with 410, requests waiting for it get 503. */
    private boolean endStarting(String id, String why) {
        Lookup.Starting s = startingEnvs.remove(id);
        if (s == null) return false;
        gone.put(id, true);
        LOG.info("ending environment id={} while it starts, reason={}", id, why);
        s.ready().completeExceptionally(new ProxyError(410, "environment " + id + " was ended while it was starting"));
        destroyQuietly(s.env().handle());
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

    /**
     * Environments outlive the proxy (a restart finds them again): closing stops the expiry timer and destroys only the
     * containers made ahead.
     */
    @Override
    public void close() {
        timer.shutdownNow();
        warm.close();
    }

    /** Containers ready for a template's next environments (status, tests). */
    int warmReady(Template t) {
        return warm.ready(t);
    }
}
