package dev.cloche.linux;

import dev.cloche.linux.oci.OciRuntime;
import dev.cloche.linux.oci.SessionKeyring;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An OCI runtime that records each call as one line ("kill c1 KILL all") and runs nothing of its own: exec and run
 * start {@code sh -c script} on this host instead, so tests can play the container's command.
 */
final class RecordingRuntime implements OciRuntime {
    private final List<String> calls = new ArrayList<>();
    private final Map<String, State> states = new HashMap<>();
    /** What exec and run start: a shell script standing in for the process in the container. */
    volatile String script = "cat >/dev/null";
    volatile RuntimeException deleteFailure;
    volatile RuntimeException forgetFailure;

    synchronized List<String> calls() {
        return List.copyOf(calls);
    }

    private synchronized void record(String call) {
        calls.add(call);
    }

    synchronized void state(String id, State state) {
        states.put(id, state);
    }

    @Override public void create(String id, Path bundleDir, Path pidFile, SessionKeyring keyring) { record("create " + id + keyringNote(keyring)); }
    @Override public void start(String id) { record("start " + id); }
    @Override public void runDetached(String id, Path bundleDir, Path pidFile, SessionKeyring keyring) { record("run --detach " + id + keyringNote(keyring)); }

    private static String keyringNote(SessionKeyring keyring) {
        return keyring == SessionKeyring.INHERITED ? " --no-new-keyring" : "";
    }

    /** False: kill fails as for a container the runtime does not know. */
    boolean knowsContainers = true;

    @Override
    public boolean kill(String id, String signal, boolean all) {
        record("kill " + id + " " + signal + (all ? " all" : ""));
        return knowsContainers;
    }

    @Override
    public void delete(String id) {
        record("delete " + id);
        if (deleteFailure != null) throw deleteFailure;
    }

    @Override
    public void forget(String id) {
        record("forget " + id);
        if (forgetFailure != null) throw forgetFailure;
    }

    @Override
    public synchronized Optional<State> state(String id) {
        return Optional.ofNullable(states.get(id));
    }

    /** Lists fail, as with a runtime that cannot: restore then asks for each container's state. */
    volatile boolean listFails;

    @Override
    public synchronized Map<String, State> list() {
        record("list");
        if (listFails) throw new IllegalStateException("list failed");
        return Map.copyOf(states);
    }

    @Override
    public java.lang.Process exec(String id, Path processJson, Path pidFile) {
        record("exec " + id + " " + processJson.getFileName());
        return shell();
    }

    @Override
    public java.lang.Process run(String id, Path bundleDir, SessionKeyring keyring) {
        record("run " + id + keyringNote(keyring));
        return shell();
    }

    private java.lang.Process shell() {
        try {
            return new ProcessBuilder("sh", "-c", script).start();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public List<String> execDetachedArgv(String id, Path processJson, Path pidFile, Path log, boolean tty) {
        return List.of("runtime", "exec", "--detach", id);
    }

    @Override
    public List<String> runDetachedArgv(String id, Path bundleDir, Path pidFile, Path log, boolean tty,
                                        SessionKeyring keyring) {
        return List.of("runtime", "run", "--detach", "--bundle", bundleDir.toString(), id);
    }
}
