package dev.cloche.linux;

import dev.cloche.api.GardenError;
import dev.cloche.linux.cgroup.Cgroups;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.net.ContainerNet;
import dev.cloche.linux.oci.OciRuntime;
import dev.cloche.linux.sys.ProcessTable;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Stopping and destroying one container: its processes, the runtime's container and cgroups, its network, its
 * volume and its depot entry. (Creating and restoring are the backend's {@link ContainerRecipes}.)
 */
final class ContainerLifecycle {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ContainerLifecycle.class);
    /** How long a graceful stop lets processes handle TERM before everything gets KILL. */
    static final Duration STOP_GRACE = Duration.ofSeconds(10);
    /** How long processes and monitors get to go after a KILL. */
    static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final ContainerIdentity container;
    private final Depot.Entry entry;
    private final ContainerStatus status;
    private final ProcessSupervisor processes;
    private final OciRuntime runtime;
    private final Cgroups cgroups;
    private final ProcessTable table;
    private final Volumizer volumizer;
    private final Runnable releaseImage;

    ContainerLifecycle(ContainerIdentity container, Depot.Entry entry, ContainerStatus status, ProcessSupervisor processes,
                       OciRuntime runtime, Cgroups cgroups, ProcessTable table, Volumizer volumizer,
                       Runnable releaseImage) {
        this.container = container;
        this.entry = entry;
        this.status = status;
        this.processes = processes;
        this.runtime = runtime;
        this.cgroups = cgroups;
        this.table = table;
        this.volumizer = volumizer;
        this.releaseImage = releaseImage;
    }

    /** Ends every process, gracefully (TERM, then KILL after {@link #STOP_GRACE}) unless {@code kill}. */
    void stop(boolean kill) {
        status.requireExists();
        long init = entry.readInitPid();
        String group = container.group();
        if (!kill) {
            // TERM everything but the init first: the init exits on TERM, and with it the kernel would KILL the rest
            for (long pid : cgroups.pids(group)) {
                if (pid != init) table.find(pid).ifPresent(ProcessTable.Handle::terminate);
            }
            table.awaitGone(cgroups.pids(group).stream().filter(p -> p != init).toList(), STOP_GRACE);
        }
        runtime.kill(container.id(), "KILL", true);
        List<Long> left = new ArrayList<>(cgroups.pids(group));
        if (init > 0) left.add(init);
        if (!table.awaitGone(left, KILL_WAIT)) {
            throw GardenError.internal("processes of " + container.handle() + " survived SIGKILL");
        }
        processes.awaitExits(KILL_WAIT);
        status.markStopped();
    }

    /**
     * Removes everything of the container, going on past failures and reporting them all at the end. The depot entry
     * goes only once the volume is unmounted: deleting through a mounted root would delete the container's files.
     */
    void destroy(ContainerNet net) {
        List<RuntimeException> failures = new ArrayList<>();
        try {
            entry.unfinished("destroy"); // a daemon that dies from here on finishes this destroy when it restarts
        } catch (IOException e) {
            // a full depot cannot take the mark: the destroy goes on, and only a crash inside it would be reported
            LOG.warn("cannot mark the destroy of {}: {}", container.handle(), e.getMessage());
        }
        try {
            removeRuntime();
        } catch (RuntimeException e) {
            failures.add(e);
        }
        processes.awaitExits(KILL_WAIT);
        failures.addAll(processes.release(KILL_WAIT));
        try {
            net.release();
        } catch (RuntimeException e) {
            failures.add(e);
        }
        boolean unmounted = false;
        try {
            volumizer.destroy(entry.volume());
            unmounted = true;
        } catch (RuntimeException e) {
            failures.add(e);
        }
        if (unmounted) {
            try {
                entry.delete();
            } catch (RuntimeException e) {
                failures.add(e);
            }
            // no mount uses the image's layers any more: the store may collect them
            try {
                releaseImage.run();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        status.markDestroyed();
        if (!failures.isEmpty()) {
            GardenError error = GardenError.internal("destroying " + container.handle() + " left: "
                    + failures.stream().map(Throwable::getMessage).toList());
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    /**
     * Kill, wait for the init to exit (a zombie counts: it is not our child), delete, then the cgroup dirs the
     * runtime may leave. Avoids {@code delete --force}, which polls for 100 ms steps in runc.
     */
    void removeRuntime() {
        List<RuntimeException> failures = new ArrayList<>();
        long init = entry.readInitPid();
        if (!killInit(init) && !runtime.kill(container.id(), "KILL", true)) {
            // a runtime killed inside its run may not know the container, yet leave its init behind in the cgroup
            for (long pid : cgroups.pids(container.group())) table.find(pid).ifPresent(ProcessTable.Handle::kill);
        }
        List<Long> pids = new ArrayList<>(cgroups.pids(container.group()));
        if (init > 0) pids.add(init);
        boolean gone = table.awaitGone(pids, KILL_WAIT);
        if (!gone) {
            failures.add(GardenError.internal("processes " + pids + " survived SIGKILL"));
        }
        try {
            runtime.delete(container.id());
        } catch (RuntimeException e) {
            // a runtime that fails or hangs at delete must not leave its record behind: with every process gone it
            // holds nothing but that directory and the cgroups, removed just below
            if (gone) {
                LOG.warn("runtime delete of {} failed ({}); removing its state directly", container.handle(), e.getMessage());
                try {
                    runtime.forget(container.id());
                } catch (RuntimeException f) {
                    f.addSuppressed(e);
                    failures.add(f);
                }
            } else {
                failures.add(e);
            }
        }
        try {
            cgroups.remove(container.group());
        } catch (RuntimeException e) {
            failures.add(e);
        }
        if (!failures.isEmpty()) {
            RuntimeException first = failures.getFirst();
            failures.stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }

    /**
     * SIGKILL to the init through a pidfd, which takes every process of the container's pid namespace with it, and
     * a wait for its exit without polling: about 10 ms less per destroy than {@code runtime kill --all} and a /proc
     * poll (docs/benchmarks.md, lifecycle). The pid is the init's only while it is in the container's cgroup (a
     * recycled pid would be elsewhere), checked once the process is pinned. False when it could not be done: the
     * caller falls back to the runtime.
     */
    private boolean killInit(long init) {
        return table.killPinned(init, () -> cgroups.pids(container.group()).contains(init), KILL_WAIT);
    }
}
