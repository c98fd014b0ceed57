package dev.cloche.proxy;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenClient;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers made ahead for templates with {@code warm} > 0: a new environment of such a template takes one and only
 * starts its server in it, which is what Sablier's blocking strategy does with its stopped containers (the
 * container's create, about 90 ms with networking here, is then off the visitor's path). Each take is followed by a
 * replacement once the environment is ready (or has failed). Containers made ahead carry the property {@code proxy.warm}; a restarted proxy destroys those it finds
 * and makes fresh ones, and destroys its own when it closes.
 */
final class WarmPool implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(WarmPool.class);
    static final String MARK = "proxy.warm";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** A container made ahead and its address (known at make time: one Garden call less on the visitor's path). */
    record Warm(Container container, String ip) {}

    private final GardenClient garden;
    private final Map<String, ConcurrentLinkedDeque<Warm>> ready = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> making = new ConcurrentHashMap<>();
    /** Guards {@code closed} against a container being queued as the pool closes. */
    private final Object lock = new Object();
    private boolean closed;

    WarmPool(GardenClient garden) {
        this.garden = garden;
    }

    /** Destroys what an earlier run made ahead (environments it handed out are not made ahead any more), then fills. */
    void start(Collection<Template> templates) {
        for (Container c : garden.containers(Map.of(MARK, "true"))) {
            if (!"true".equals(c.properties().get(Environments.MARK))) destroyQuietly(c.handle());
        }
        templates.forEach(this::refill);
    }

    /**
     * A container made ahead for {@code t}, if one is ready. Its replacement waits for {@link #refill}: made at once, its
     * create would compete for the CPU with the server the visitor waits for.
     */
    Optional<Warm> take(Template t) {
        return Optional.ofNullable(t.warm() == 0 ? null : queue(t).pollFirst());
    }

    /** How many are ready for {@code t} (tests, status). */
    int ready(Template t) {
        return queue(t).size();
    }

    private ConcurrentLinkedDeque<Warm> queue(Template t) {
        return ready.computeIfAbsent(t.name(), k -> new ConcurrentLinkedDeque<>());
    }

    /** Starts making containers until ready and in the making reach the template's {@code warm}. */
    void refill(Template t) {
        AtomicInteger inFlight = making.computeIfAbsent(t.name(), k -> new AtomicInteger());
        synchronized (lock) {
            while (!closed && queue(t).size() + inFlight.get() < t.warm()) {
                inFlight.incrementAndGet();
                Thread.ofVirtual().name("warm-" + t.name()).start(() -> make(t, inFlight));
            }
        }
    }

    private void make(Template t, AtomicInteger inFlight) {
        byte[] b = new byte[5];
        RANDOM.nextBytes(b);
        String handle = "proxy-warm-" + HexFormat.of().formatHex(b);
        try {
            Container c = garden.create(t.containerSpec(handle, Map.of(MARK, "true")));
            String ip;
            try {
                ip = c.info().containerIp();
            } catch (RuntimeException e) {
                destroyQuietly(handle);
                throw e;
            }
            if (ip.isEmpty()) {
                destroyQuietly(handle);
                LOG.warn("template {}: containers made ahead have no network address (is networking off?); none kept", t.name());
                return;
            }
            synchronized (lock) {
                if (closed) {
                    destroyQuietly(handle);
                } else {
                    queue(t).addLast(new Warm(c, ip));
                }
            }
        } catch (RuntimeException e) {
            // the next take tries again; no retry loop of its own against a server that refuses
            LOG.warn("template {}: cannot make a container ahead: {}", t.name(), e.toString());
        } finally {
            inFlight.decrementAndGet();
        }
    }

    private void destroyQuietly(String handle) {
        try {
            garden.destroy(handle);
        } catch (ContainerNotFoundException e) {
            // already gone
        } catch (RuntimeException e) {
            LOG.warn("cannot destroy container made ahead {}: {}", handle, e.toString());
        }
    }

    /** Destroys the containers made ahead; those being made are destroyed when they are done. */
    @Override
    public void close() {
        List<Warm> left = new ArrayList<>();
        synchronized (lock) {
            closed = true;
        }
        ready.values().forEach(q -> {
            for (Warm w; (w = q.pollFirst()) != null; ) left.add(w);
        });
        left.forEach(w -> destroyQuietly(w.container().handle()));
    }
}
