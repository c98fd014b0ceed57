package dev.cloche.linux.oci;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/** An OCI runtime's lifecycle operations, as the Linux backend needs them. */
public interface OciRuntime {
    // Every call that makes a runtime container says which session keyring it gets (SessionKeyring): runc and crun
    // both take --no-new-keyring on create and run, and remember it for the container's execs.

    void create(String id, Path bundleDir, Path pidFile, SessionKeyring keyring);

    void start(String id);

    /** {@code create} and {@code start} in one runtime call ({@code run --detach}). */
    void runDetached(String id, Path bundleDir, Path pidFile, SessionKeyring keyring);

    /** Sends {@code signal} ("TERM", "KILL") to the init, or to every process of the container. Errors are returned, not thrown. */
    boolean kill(String id, String signal, boolean all);

    /** Deletes the stopped container's runtime state; an unknown id counts as deleted. */
    void delete(String id);

    /**
     * Removes the runtime's own record of a container whose processes are all gone, when {@link #delete} failed or
     * hung: its state directory under the runtime's root (runc and crun keep one per container, named by the id).
     * The caller removes the container's cgroups itself.
     */
    void forget(String id);

    /** The runtime's view of the container, empty when it does not know the id. */
    Optional<State> state(String id);

    /**
     * Every container the runtime knows under its root, by id: one call instead of one {@link #state} per container
     * (a restart with thousands of containers).
     */
    java.util.Map<String, State> list();

    /** Starts {@code runtime exec} as a child of this JVM; the process's stdio is the child's. */
    java.lang.Process exec(String id, Path processJson, Path pidFile);

    /**
     * Starts {@code runtime run} of the bundle in {@code bundleDir} as a child of this JVM, in the foreground: the
     * container's process has the child's stdio, and the runtime deletes the container when it exits.
     */
    java.lang.Process run(String id, Path bundleDir, SessionKeyring keyring);

    /**
     * The argv of {@code runtime exec --detach} for {@code cloche-monitor} to run: the runtime logs JSON to
     * {@code log} (the monitor reports its last error) and, with {@code tty}, sends the pty master to the console
     * socket the monitor substitutes for the literal {@code @CONSOLE@}.
     */
    List<String> execDetachedArgv(String id, Path processJson, Path pidFile, Path log, boolean tty);

    /**
     * The argv of {@code runtime run --detach} of the bundle in {@code bundleDir} for {@code cloche-monitor} to run (a
     * pea, docs/peas.md): as {@link #execDetachedArgv}, the process has the runtime's stdio, or the console socket.
     */
    List<String> runDetachedArgv(String id, Path bundleDir, Path pidFile, Path log, boolean tty, SessionKeyring keyring);

    /** {@code status} as the runtime reports it: created, running, stopped, paused. */
    record State(String status, long pid) {}
}
