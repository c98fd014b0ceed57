package dev.cloche.core;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * Where the core keeps what only it knows about a container (properties, grace time, configuration version), so that both survive a
 * daemon restart. Backends keep the container itself.
 */
public interface ContainerStore {

    /** What the core saved for one container; {@code version} is its configuration version (see VersionedContainers). */
    record Saved(Map<String, String> properties, Duration graceTime, long version) {
        public Saved {
            properties = Map.copyOf(properties);
        }

        /** State saved before configurations had versions: version 1. */
        public Saved(Map<String, String> properties, Duration graceTime) {
            this(properties, graceTime, 1);
        }
    }

    /** Keeps nothing: for tests and for embedding without persistence. */
    ContainerStore NONE = new ContainerStore() {
        @Override
        public void save(String handle, Saved saved) {
        }

        @Override
        public Optional<Saved> load(String handle) {
            return Optional.empty();
        }

        @Override
        public void delete(String handle) {
        }
    };

    /** Replaces what is saved for {@code handle}; atomic (a crash leaves the old or the new state, never a mix). */
    void save(String handle, Saved saved);

    Optional<Saved> load(String handle);

    /** Idempotent. */
    void delete(String handle);
}
