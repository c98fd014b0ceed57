package dev.cloche.linux;

import dev.cloche.linux.cgroup.Cgroups;
import dev.cloche.linux.sys.ProcessTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills a container's processes that nobody can observe any more, but only while their pid is still in the
 * container's cgroup (a pid that left it may have been reused by anything).
 */
final class StrayProcesses {
    private static final Logger LOG = LoggerFactory.getLogger(StrayProcesses.class);

    private final ContainerIdentity container;
    private final Cgroups cgroups;
    private final ProcessTable table;

    StrayProcesses(ContainerIdentity container, Cgroups cgroups, ProcessTable table) {
        this.container = container;
        this.cgroups = cgroups;
        this.table = table;
    }

    /**
     * A start reported as failed may have left its process running: runc 1.1.5 can fail an exec whose process already
     * runs when it exhausts the container's memory or pids limit at once (docs/process-monitor.md §7). Nobody could
     * ever see its output or exit, so it is killed if the runtime recorded its pid.
     */
    void killStrayStart(Depot.ProcessDir dir) {
        long pid = Depot.readPid(dir.pid());
        if (pid <= 0) return; // no pid recorded: the runtime never started it
        kill(pid, "its start was reported as failed");
    }

    /** A process whose monitor is gone: its exit could never be reported. */
    void killOrphan(long pid) {
        kill(pid, "its monitor is gone, so its exit could never be reported");
    }

    private void kill(long pid, String why) {
        if (cgroups.pids(container.group()).contains(pid)) {
            LOG.warn("killing process {} of {}: {}", pid, container.handle(), why);
            table.find(pid).ifPresent(ProcessTable.Handle::kill);
        }
    }
}
