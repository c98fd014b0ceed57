package dev.cloche.api;

/**
 * The core's versioned container configuration. Every configuration change of a container (a Garden property or
 * grace-time change, or a multi-change commit through {@link #commit}) produces a new version; a commit names the
 * version it was prepared against and fails with a {@link ConflictException} if another change landed in between
 * (optimistic concurrency).
 *
 * <p>Garden's wire protocol has no versions, so this exists in-process only: the daemon hands the core to the
 * front-ends that need it (the port layer), and those expose it remotely in their own protocol.
 */
public interface VersionedContainers {

    /** The current configuration version of a container (1 right after create), or {@link ContainerNotFoundException}. */
    long version(String handle);

    /**
     * Runs {@code change} against the container if its version is still {@code expectedVersion}, and commits it as
     * version {@code expectedVersion + 1}. Commits and single changes of one container are serialised. If the change
     * throws (or the new state cannot be saved) every undo the change registered runs, in reverse order, staged
     * properties are dropped, the version stays, and the exception propagates.
     *
     * @return the new version
     * @throws ConflictException when the container's version is not {@code expectedVersion}; nothing ran
     */
    long commit(String handle, long expectedVersion, ConfigChange change);

    /** One multi-change commit's work. */
    @FunctionalInterface
    interface ConfigChange {
        void apply(ConfigTransaction tx);
    }

    /**
     * What a commit may do. Property changes are staged and land together with the new version; side effects on the
     * container register their undo with {@link #onRollback}. Inside a commit, change properties only through this
     * transaction: {@link Container#setProperty} would be a change of its own.
     */
    interface ConfigTransaction {
        /** The container, for its ordinary calls (stream in/out, run, attach, info). */
        Container container();

        /** The version this commit was prepared against. */
        long baseVersion();

        /** The properties as they will be committed: current ones plus what this transaction staged. */
        java.util.Map<String, String> properties();

        void setProperty(String name, String value);

        void removeProperty(String name);

        /**
         * Applies new limits, computed from the current ones, to the live container now (only memory and CPU may
         * change); the old limits come back on rollback.
         */
        void updateLimits(java.util.function.UnaryOperator<Limits> change);

        /** Registers an undo for a side effect the change has just made. */
        void onRollback(Runnable undo);
    }
}
