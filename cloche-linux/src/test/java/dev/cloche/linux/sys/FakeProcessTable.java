package dev.cloche.linux.sys;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;

/** Processes that exist only in the test: added, signalled and "killed" in memory; every signal is recorded. */
public final class FakeProcessTable implements ProcessTable {
    private final Map<Long, Proc> procs = new ConcurrentHashMap<>();
    private final List<String> signals = new ArrayList<>();
    /** What awaitGone answers for pids that are still alive (true: they die in time). */
    private volatile boolean slowDeaths;

    /** A running process; its parent and command line as given. */
    public Proc add(long pid, long parent, String... commandLine) {
        Proc p = new Proc(pid, parent, List.of(commandLine));
        procs.put(pid, p);
        return p;
    }

    /** Signals sent, as "TERM 12" or "KILL 12", in order. */
    public synchronized List<String> signals() {
        return List.copyOf(signals);
    }

    private synchronized void record(String signal, long pid) {
        signals.add(signal + " " + pid);
    }

    /** Pids still alive are reported as surviving every wait. */
    public void slowDeaths(boolean slow) {
        slowDeaths = slow;
    }

    @Override
    public Optional<Handle> find(long pid) {
        Proc p = procs.get(pid);
        return p == null || !p.alive ? Optional.empty() : Optional.of(p);
    }

    @Override
    public boolean goneOrZombie(long pid) {
        Proc p = procs.get(pid);
        return p == null || !p.alive || p.zombie;
    }

    @Override
    public boolean awaitGone(List<Long> pids, Duration timeout) {
        return !slowDeaths || pids.stream().allMatch(this::goneOrZombie);
    }

    @Override
    public List<String> commandLine(long pid) {
        Proc p = procs.get(pid);
        return p == null || !p.alive ? List.of() : p.commandLine;
    }

    @Override
    public boolean killPinned(long pid, BooleanSupplier stillOurs, Duration wait) {
        Proc p = procs.get(pid);
        if (pid <= 0 || p == null || !p.alive || !stillOurs.getAsBoolean()) return false;
        p.kill();
        return true;
    }

    @Override
    public Path root(long pid) {
        return Path.of("/proc/" + pid + "/root");
    }

    /** One fake process. */
    public final class Proc implements Handle {
        private final long pid;
        private final long parent;
        private final List<String> commandLine;
        private volatile boolean alive = true;
        private volatile boolean zombie;

        private Proc(long pid, long parent, List<String> commandLine) {
            this.pid = pid;
            this.parent = parent;
            this.commandLine = commandLine;
        }

        /** Dead but not reaped: still in the table, no longer running. */
        public void becomeZombie() {
            zombie = true;
        }

        public void exit() {
            alive = false;
        }

        @Override public long pid() { return pid; }
        @Override public boolean isAlive() { return alive && !zombie; }
        @Override public long parentPid() { return parent; }

        @Override
        public void terminate() {
            record("TERM", pid);
            alive = false;
        }

        @Override
        public void kill() {
            record("KILL", pid);
            alive = false;
        }
    }
}
