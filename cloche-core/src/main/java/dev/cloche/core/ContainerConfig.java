package dev.cloche.core;

import dev.cloche.api.ConflictException;
import dev.cloche.api.Container;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.VersionedContainers;
import dev.cloche.spi.BackendContainer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One container's versioned configuration, and its only owner: properties, grace time and configuration version,
 * the multi-change commit ({@link VersionedContainers}), and their persistence through {@link ContainerStore}.
 * Every change (a Garden single change or a commit) saves properties, grace time and version in one write, in change
 * order, and then becomes visible; a change whose save fails leaves everything as it was.
 *
 * <p>The caller (the container's lifecycle) decides when a change may run; this class only orders changes among
 * themselves.
 */
final class ContainerConfig {
    private static final Logger log = LoggerFactory.getLogger(ContainerConfig.class);

    private final String handle;
    private final ContainerStore store;
    /** The grace time's countdown; this class is the only one that changes its duration. */
    private final GraceTimer timer;
    /** Serialises changes and guards {@code version}; readers of {@code properties} need not take it. */
    private final ReentrantLock lock = new ReentrantLock();
    /** Immutable, replaced whole, so a reader sees one change completely or not at all. */
    private volatile Map<String, String> properties;
    private long version;

    ContainerConfig(String handle, ContainerStore store, GraceTimer timer, Map<String, String> properties, long version) {
        this.handle = handle;
        this.store = store;
        this.timer = timer;
        this.properties = Map.copyOf(properties);
        this.version = version;
    }

    /** Garden refuses an empty property name, in a single change and in a commit alike. */
    static void checkPropertyName(String name) {
        if (name.isEmpty()) {
            throw new InvalidRequestException("property name must not be empty");
        }
    }

    static void checkGraceTime(Duration graceTime) {
        if (graceTime.isNegative()) {
            throw new InvalidRequestException("grace time must not be negative: " + graceTime);
        }
    }

    Map<String, String> properties() {
        return properties;
    }

    Optional<String> property(String name) {
        return Optional.ofNullable(properties.get(name));
    }

    /** True when every entry of {@code filter} is a property with that value (Garden's list filter). */
    boolean matches(Map<String, String> filter) {
        Map<String, String> p = properties;
        for (Map.Entry<String, String> e : filter.entrySet()) {
            if (!e.getValue().equals(p.get(e.getKey()))) {
                return false;
            }
        }
        return true;
    }

    /** The configuration version; waits for a change in progress, so it is never older than what a reader saw. */
    long version() {
        lock.lock();
        try {
            return version;
        } finally {
            lock.unlock();
        }
    }

    /** Saves the configuration of a new container as it is (version 1). */
    void persist() {
        lock.lock();
        try {
            save(properties, version);
        } finally {
            lock.unlock();
        }
    }

    void setProperty(String name, String value) {
        checkPropertyName(name);
        lock.lock();
        try {
            Map<String, String> next = new HashMap<>(properties);
            next.put(name, value);
            commitSaved(next);
        } finally {
            lock.unlock();
        }
    }

    /** Removing a property that does not exist changes nothing, not even the version. */
    void removeProperty(String name) {
        lock.lock();
        try {
            if (properties.containsKey(name)) {
                Map<String, String> next = new HashMap<>(properties);
                next.remove(name);
                commitSaved(next);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Restarts the countdown with the new grace time; a failed save puts the old one back (and restarts it too). */
    void setGraceTime(Duration graceTime) {
        checkGraceTime(graceTime);
        lock.lock();
        try {
            Duration old = timer.graceTime();
            timer.set(graceTime);
            try {
                save(properties, version + 1);
            } catch (RuntimeException e) {
                timer.set(old);
                throw e;
            }
            version++;
        } finally {
            lock.unlock();
        }
    }

    /**
     * One multi-change commit, all or nothing, if the version is still {@code expected}; returns the new version.
     *
     * @param container what {@link VersionedContainers.ConfigTransaction#container()} gives the change
     * @param backend the backend's container, asked for only when the change updates limits
     */
    long commit(long expected, VersionedContainers.ConfigChange change, Container container, Supplier<BackendContainer> backend) {
        lock.lock();
        try {
            if (version != expected) {
                throw new ConflictException("version conflict on container " + handle + ": the change was prepared"
                        + " against version " + expected + " but the current version is " + version
                        + "; read it again and retry");
            }
            Transaction tx = new Transaction(expected, container, backend);
            try {
                change.apply(tx);
                save(tx.staged, version + 1);
            } catch (RuntimeException e) {
                tx.rollback(e);
                throw e;
            }
            properties = Map.copyOf(tx.staged);
            return ++version;
        } finally {
            lock.unlock();
        }
    }

    /** Deletes the saved state of a destroyed container; a failure only leaves a file that nothing restores. */
    void forget() {
        try {
            store.delete(handle);
        } catch (GardenException e) {
            log.warn("cannot delete saved state handle={} error={}", handle, e.getMessage());
        }
    }

    /** Saves {@code next} as the next version, then makes it current; callers hold {@code lock}. */
    private void commitSaved(Map<String, String> next) {
        save(next, version + 1);
        properties = Map.copyOf(next);
        version++;
    }

    /** Saves properties, grace time and version in one write; callers hold {@code lock}. */
    private void save(Map<String, String> props, long v) {
        store.save(handle, new ContainerStore.Saved(props, timer.graceTime(), v));
    }

    /** A commit in progress; confined to the committing thread, which holds {@code lock}. */
    private final class Transaction implements VersionedContainers.ConfigTransaction {
        private final long base;
        private final Container container;
        private final Supplier<BackendContainer> backend;
        private final Map<String, String> staged = new HashMap<>(properties);
        private final Deque<Runnable> undo = new ArrayDeque<>();

        Transaction(long base, Container container, Supplier<BackendContainer> backend) {
            this.base = base;
            this.container = container;
            this.backend = backend;
        }

        @Override
        public Container container() {
            return container;
        }

        @Override
        public long baseVersion() {
            return base;
        }

        @Override
        public Map<String, String> properties() {
            return Map.copyOf(staged);
        }

        @Override
        public void setProperty(String name, String value) {
            checkPropertyName(name);
            staged.put(name, value);
        }

        @Override
        public void removeProperty(String name) {
            staged.remove(name);
        }

        @Override
        public void updateLimits(UnaryOperator<Limits> change) {
            BackendContainer b = backend.get();
            Limits old = b.limits();
            b.updateLimits(change.apply(old));
            undo.push(() -> b.updateLimits(old));
        }

        @Override
        public void onRollback(Runnable action) {
            undo.push(action);
        }

        /** Undoes in reverse order; every undo runs, and their failures are attached to the cause. */
        void rollback(RuntimeException cause) {
            while (!undo.isEmpty()) {
                try {
                    undo.pop().run();
                } catch (RuntimeException e) {
                    log.error("commit rollback step failed handle={} error={}", handle, e.toString());
                    cause.addSuppressed(e);
                }
            }
        }
    }
}
