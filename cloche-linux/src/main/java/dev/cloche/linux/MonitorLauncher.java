package dev.cloche.linux;

import dev.cloche.api.GardenError;
import dev.cloche.linux.ProcessState.Exited;
import dev.cloche.linux.ProcessState.Monitor;
import dev.cloche.linux.ProcessState.Orphaned;
import dev.cloche.linux.ProcessState.Running;
import dev.cloche.linux.oci.BundleJson;
import dev.cloche.linux.oci.OciProcess;
import dev.cloche.linux.oci.OciRuntime;
import dev.cloche.linux.oci.RuntimeFailures;
import dev.cloche.linux.sys.CommandTimedOut;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.linux.oci.SessionKeyring;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.DirectoryWatcher;
import dev.cloche.linux.sys.ProcessTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts processes under {@code cloche-monitor} and finds them again after a restart (docs/process-monitor.md §1,
 * §5), for every container of the backend. The monitor runs {@code runtime exec --detach} and prints one line: the
 * host pid, or {@code error: <runtime's message>}.
 */
final class MonitorLauncher {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorLauncher.class);
    /** sun_path holds 107 bytes, and the monitor's console socket lives in the process directory. */
    private static final int MAX_SOCKET_PATH = 107;

    private final Path monitorBinary;
    private final OciRuntime runtime;
    private final CommandRunner runner;
    private final DirectoryWatcher watcher;
    private final ProcessTable table;

    MonitorLauncher(Path monitorBinary, OciRuntime runtime, CommandRunner runner, DirectoryWatcher watcher, ProcessTable table) {
        this.monitorBinary = monitorBinary;
        this.runtime = runtime;
        this.runner = runner;
        this.watcher = watcher;
        this.table = table;
    }

    /** The host uid and gid that own a process's stdio files, so its user can reopen them (/dev/stdout). */
    record StdioOwner(long uid, long gid) {}

    /**
     * Starts {@code process} as Garden process {@code id} of container {@code containerId} in the fresh directory
     * {@code dir}, its stdio files owned by {@code owner}, and returns once it runs. The caller removes what a failed
     * start left.
     */
    MonitoredProcess launch(String containerId, String id, Depot.ProcessDir dir, OciProcess process, StdioOwner owner)
            throws IOException {
        return launch(new Target.Exec(containerId), id, dir, process, owner);
    }

    /** What the monitor has the runtime start. */
    sealed interface Target {
        /** {@code runtime exec} in the running container {@code containerId}. */
        record Exec(String containerId) implements Target {}

        /**
         * {@code runtime run} of a pea's bundle in {@code bundleDir} as runtime container {@code peaId} (docs/peas.md),
         * whose process is {@code process} as well, with the session keyring its container's would have.
         */
        record Pea(String peaId, Path bundleDir, SessionKeyring keyring) implements Target {}
    }

    /** As {@link #launch(String, String, Depot.ProcessDir, OciProcess, StdioOwner)}, for either {@link Target}. */
    MonitoredProcess launch(Target target, String id, Depot.ProcessDir dir, OciProcess process, StdioOwner owner)
            throws IOException {
        boolean tty = process.console().isPresent();
        String socket = dir.consoleSocket().toString();
        if (tty && socket.length() > MAX_SOCKET_PATH) {
            throw GardenError.internal("depot path too long for a TTY console socket: " + dir.dir()
                    + " (use a depot path shorter by " + (socket.length() - MAX_SOCKET_PATH) + " bytes)");
        }
        Files.createDirectories(dir.dir());
        Files.writeString(dir.processJson(), BundleJson.process(process));
        List<String> argv = new ArrayList<>();
        argv.add(monitorBinary.toString());
        process.console().ifPresent(c -> argv.addAll(List.of("--tty", c.rows() + "x" + c.columns())));
        argv.addAll(List.of("--owner", owner.uid() + ":" + owner.gid(), dir.dir().toString(), "--"));
        argv.addAll(switch (target) {
            case Target.Exec(String containerId) ->
                    runtime.execDetachedArgv(containerId, dir.processJson(), dir.pid(), dir.runtimeLog(), tty);
            case Target.Pea(String peaId, Path bundleDir, SessionKeyring keyring) ->
                    runtime.runDetachedArgv(peaId, bundleDir, dir.pid(), dir.runtimeLog(), tty, keyring);
        });
        // the pea's name first: a restart that finds the id finds the pea too
        if (target instanceof Target.Pea(String peaId, Path bundleDir, SessionKeyring keyring)) Files.writeString(dir.pea(), peaId);
        Files.writeString(dir.id(), id);
        if (tty) Files.writeString(dir.tty(), "");
        MonitoredProcess p = new MonitoredProcess(id, dir, tty, table, ProcessState.STARTING);
        // watching before the start: a process that exits at once must not slip past us
        p.watch(watcher);
        try {
            CommandResult r = runner.runPiped(argv);
            String line = r.stdout().strip();
            if (r.exitCode() != 0 || !line.matches("\\d+")) {
                String why = line.startsWith("error: ") ? line.substring(7)
                        : "monitor exit " + r.exitCode() + ": " + (line + " " + r.stderr()).strip();
                throw RuntimeFailures.of("cannot start process " + id, why);
            }
            p.started(Long.parseLong(line));
            return p;
        } catch (CommandTimedOut e) {
            p.close();
            throw new ServiceUnavailableException("cannot start process " + id + ": the OCI runtime's exec did not finish "
                    + "within " + e.bound().toSeconds() + " s (backend setting runtimeTimeout); it was killed", e);
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** What a restart finds in one process directory. */
    sealed interface Found {
        /** Running, or exited with its status recorded (or lost): attachable as before. */
        record Restored(MonitoredProcess process) implements Found {}

        /** The start never completed and no monitor is left: nothing to attach. */
        record NeverStarted(Depot.ProcessDir dir, String reason) implements Found {}
    }

    /**
     * The process of {@code dir} after a restart (docs/process-monitor.md §5): exited if the monitor recorded an
     * exit; running, and followed again, if its monitor still runs; never started if no pid was recorded; otherwise
     * orphaned, its monitor killed, with the status lost.
     */
    Found reattach(Depot.ProcessDir dir) throws IOException {
        String id;
        try {
            id = Files.readString(dir.id());
        } catch (NoSuchFileException e) {
            return new Found.NeverStarted(dir, "no process id recorded");
        }
        boolean tty = Files.exists(dir.tty());
        long pid = Depot.readPid(dir.pid());
        Monitor monitor = MonitoredProcess.monitorOf(dir, table);
        OptionalInt code = MonitoredProcess.recordedExit(dir);
        if (code.isPresent()) {
            return new Found.Restored(new MonitoredProcess(id, dir, tty, table, new Exited(code.getAsInt(), monitor)));
        }
        if (monitor.handle().filter(ProcessTable.Handle::isAlive).isPresent() && monitorRuns(monitor.pid(), dir)) {
            MonitoredProcess p = new MonitoredProcess(id, dir, tty, table, new Running(pid, monitor));
            p.watch(watcher);
            p.refresh(); // the exit may have landed between the checks and the watch
            return new Found.Restored(p);
        }
        if (pid <= 0) {
            return new Found.NeverStarted(dir, "the runtime never reported a pid and no monitor is left");
        }
        code = MonitoredProcess.recordedExit(dir); // the monitor may have finished just now
        if (code.isPresent()) {
            return new Found.Restored(new MonitoredProcess(id, dir, tty, table, new Exited(code.getAsInt(), monitor)));
        }
        LOG.error("process {} lost its monitor (pid {}): its exit status is unknown, reporting {}", id, monitor.pid(),
                ProcessState.LOST_EXIT);
        return new Found.Restored(new MonitoredProcess(id, dir, tty, table, new Orphaned(pid, monitor)));
    }

    /** The monitor is who we think it is: its command line names cloche-monitor and this directory (pid reuse). */
    private boolean monitorRuns(long pid, Depot.ProcessDir dir) {
        List<String> args = table.commandLine(pid);
        return !args.isEmpty() && args.getFirst().endsWith("cloche-monitor") && args.contains(dir.dir().toString());
    }
}
