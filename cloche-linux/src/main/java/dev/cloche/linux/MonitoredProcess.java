package dev.cloche.linux;

import dev.cloche.api.GardenError;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.linux.ProcessState.Monitor;
import dev.cloche.linux.ProcessState.Orphaned;
import dev.cloche.linux.ProcessState.Running;
import dev.cloche.linux.ProcessState.Starting;
import dev.cloche.linux.sys.DirectoryWatcher;
import dev.cloche.linux.sys.ProcessTable;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process run under {@code cloche-monitor} (docs/process-monitor.md): the monitor, not this JVM, is the process's
 * parent, so the process, its output and its exit status outlive a daemon crash. Everything is read from the
 * process directory: the process writes {@code stdout}/{@code stderr} itself (under a TTY the monitor copies the pty
 * there), the monitor renames {@code exit} into place once the process is reaped and its output is complete. Its
 * life is a {@link ProcessState}; its output is an {@link OutputLog}, its stdin a {@link ProcessStdin}.
 */
final class MonitoredProcess implements BackendProcess, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MonitoredProcess.class);
    static final int LOST_EXIT = ProcessState.LOST_EXIT;
    static final String ID_FILE = Depot.ProcessDir.ID_FILE;
    static final long KEEP = OutputLog.KEEP;
    static final long RELEASE_STEP = OutputLog.RELEASE_STEP;

    private final String id;
    private final Depot.ProcessDir dir;
    private final boolean tty;
    private final ProcessTable table;
    private final AtomicReference<ProcessState> state;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final OutputLog output = new OutputLog(this::ended);
    private final MonitorControl control;
    private final ProcessStdin stdin;
    private volatile AutoCloseable watch = () -> {};
    /** Set when {@link #close} lets go of a process whose end was not seen: its reported exit is not the process's. */
    private volatile boolean letGo;

    MonitoredProcess(String id, Depot.ProcessDir dir, boolean tty, ProcessTable table, ProcessState initial) {
        this.id = id;
        this.dir = dir;
        this.tty = tty;
        this.table = table;
        this.state = new AtomicReference<>(initial);
        this.control = new MonitorControl(dir.ctl());
        this.stdin = new ProcessStdin(dir.stdin(), control, this::ended);
        initial.exitCode().ifPresent(exit::complete);
    }

    /** Follows the process directory: each change wakes the readers and may reveal the exit. */
    void watch(DirectoryWatcher watcher) throws IOException {
        watch = watcher.watch(dir.dir(), this::refresh);
    }

    /** The monitor reported the process's pid: the start is complete. */
    void started(long pid) {
        transition(s -> s.started(pid, monitorOf(dir, table)));
        refresh();
    }

    /** The monitor that wrote {@code monitor.pid}, pinned; {@link Monitor#NONE} when it wrote none. */
    static Monitor monitorOf(Depot.ProcessDir dir, ProcessTable table) {
        long m = Depot.readPid(dir.monitorPid());
        return new Monitor(m, m > 0 ? table.find(m) : Optional.empty());
    }

    ProcessState state() {
        return state.get();
    }

    private boolean ended() {
        return state.get().ended();
    }

    /**
     * Moves to the state {@code f} gives; when that ends the process, the exit completes and no more changes are
     * watched for. Returns whether this call ended it.
     */
    private boolean transition(UnaryOperator<ProcessState> f) {
        while (true) {
            ProcessState before = state.get();
            ProcessState after = f.apply(before);
            if (!state.compareAndSet(before, after)) continue;
            if (before.ended() || !after.ended()) return false;
            exit.complete(after.exitCode().orElseThrow());
            closeWatch();
            output.changed();
            return true;
        }
    }

    /** Something in the directory changed (or a watcher tick): wake readers, pick up the exit status. */
    void refresh() {
        output.changed();
        ProcessState s = state.get();
        if (s.ended()) return;
        OptionalInt code = recordedExit(dir);
        if (code.isEmpty() && monitorGone(s)) {
            code = recordedExit(dir); // the monitor renames exit before it exits: read again after seeing it gone
            if (code.isEmpty()) {
                LOG.error("process {} lost its monitor (pid {}): its exit status is unknown, reporting {}", id,
                        s.monitor().pid(), LOST_EXIT);
                code = OptionalInt.of(LOST_EXIT);
            }
        }
        if (code.isPresent()) {
            int c = code.getAsInt();
            transition(st -> st.exited(c));
        }
    }

    /** Only a monitor that reported can be gone: during the start its pid is not known yet. */
    private boolean monitorGone(ProcessState s) {
        return !(s instanceof Starting)
                && s.monitor().handle().map(h -> !h.isAlive() || table.goneOrZombie(h.pid())).orElse(true);
    }

    private void closeWatch() {
        try {
            watch.close();
        } catch (Exception e) {
            // the key is cancelled either way
        }
    }

    @Override
    public String id() {
        return id;
    }

    Depot.ProcessDir dir() {
        return dir;
    }

    /**
     * The host pid of a process whose monitor was killed: it may still run, unwatched, with its exit status
     * unobservable. The container decides whether that pid is still one of its own before killing it.
     */
    OptionalLong orphan() {
        return state.get() instanceof Orphaned(long pid, Monitor m) && pid > 0 ? OptionalLong.of(pid) : OptionalLong.empty();
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream openStdout() {
        return output.open(dir.stdout());
    }

    @Override
    public InputStream openStderr() {
        // under a TTY stderr is merged into stdout by the terminal
        return tty ? InputStream.nullInputStream() : output.open(dir.stderr());
    }

    @Override
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    @Override
    public void signal(Signal signal) {
        ProcessState s = state.get();
        if (s.ended()) return;
        long p = s instanceof Running(long pid, Monitor m) && pid > 0 ? pid : Depot.readPid(dir.pid());
        if (p <= 0) throw GardenError.internal("process " + id + " has no pid yet");
        state.updateAndGet(st -> st.withPid(p));
        long monitorPid = s.monitor().pid();
        // pid-safe: the monitor reaps the process before it records the exit, so while the process is the
        // monitor's child its pid cannot have been reused; the handle's start time guards the rest
        table.find(p).ifPresent(h -> {
            if (h.parentPid() != monitorPid) return;
            if (signal == Signal.KILL) h.kill();
            else h.terminate();
        });
    }

    @Override
    public void resize(TtySpec size) {
        if (!tty || ended()) return; // without a terminal there is no window
        TtySpec.WindowSize w = OciProcessBuilder.window(size);
        try {
            control.resize(w.rows(), w.columns());
        } catch (IOException e) {
            if (ended()) return;
            throw GardenError.internal("cannot resize the terminal of " + id + ": " + e.getMessage(), e);
        }
    }

    /** Waits (bounded) until the monitor has exited, so its directory can be deleted without racing its last writes. */
    boolean awaitMonitorGone(Duration timeout) {
        long monitorPid = state.get().monitor().pid();
        return monitorPid <= 0 || table.awaitGone(List.of(monitorPid), timeout);
    }

    /**
     * Lets go of the process: our stdin writer and the watch. Readers end; an exit status not seen by now is
     * reported as lost. Used when the container is destroyed (its processes are dead by then) or the id is reused.
     */
    @Override
    public void close() {
        if (!state.get().ended()) letGo = true;
        stdin.release();
        closeWatch();
        transition(s -> s.closed(s.ended() ? OptionalInt.empty() : recordedExit(dir)));
        output.changed();
    }

    /**
     * Whether the exit was reported because {@link #close} let go of the process, not because it was seen to end (it
     * may run on: a pea is then left for destroy or a restarted daemon to remove).
     */
    boolean letGo() {
        return letGo;
    }

    /** The status the monitor recorded in {@code exit}, if it has. */
    static OptionalInt recordedExit(Depot.ProcessDir dir) {
        try {
            return OptionalInt.of(Integer.parseInt(Files.readString(dir.exit()).strip()));
        } catch (NoSuchFileException e) {
            return OptionalInt.empty();
        } catch (IOException | NumberFormatException e) {
            // written by rename, so a present file is complete; anything else is not ours
            LOG.warn("unreadable exit file in {}: {}", dir.dir(), e.toString());
            return OptionalInt.of(LOST_EXIT);
        }
    }
}
