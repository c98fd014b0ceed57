package dev.cloche.linux;

import dev.cloche.api.GardenError;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.linux.oci.OciProcess;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link ProcessSupervisor} with one {@code cloche-monitor} per process (docs/process-monitor.md), each in a process
 * directory of the container's, numbered in start order.
 */
final class MonitorSupervisor implements ProcessSupervisor {
    private static final Logger LOG = LoggerFactory.getLogger(MonitorSupervisor.class);
    /** How long a reused id's exited process may take to let its monitor go before its directory is left behind. */
    private static final Duration DISCARD_WAIT = Duration.ofSeconds(2);

    private final ContainerIdentity container;
    private final Depot.Entry entry;
    private final MonitorLauncher launcher;
    private final LimitedStart limitedStart;
    private final StrayProcesses strays;
    private final Map<String, MonitoredProcess> processes = new LinkedHashMap<>();
    private final AtomicLong seq = new AtomicLong();

    MonitorSupervisor(ContainerIdentity container, Depot.Entry entry, MonitorLauncher launcher, LimitedStart limitedStart,
                      StrayProcesses strays) {
        this.container = container;
        this.entry = entry;
        this.launcher = launcher;
        this.limitedStart = limitedStart;
        this.strays = strays;
    }

    @Override
    public BackendProcess start(String id, OciProcess process) {
        synchronized (processes) {
            MonitoredProcess existing = processes.get(id);
            if (existing != null && !existing.exit().isDone()) {
                // the core reserves process ids (BackendContainer.run's contract): this is a broken caller, not a user
                throw new IllegalStateException("process id " + id + " of " + container.handle() + " is running");
            }
            if (existing != null) {
                processes.remove(id);
                discard(existing);
            }
            MonitoredProcess p = limitedStart.start(container.group(), "process " + id + " in " + container.handle(),
                    () -> startOnce(id, process));
            processes.put(id, p);
            return p;
        }
    }

    /** One attempt: a fresh process directory and its monitor; nothing of it is left when the start fails. */
    private MonitoredProcess startOnce(String id, OciProcess process) {
        Depot.ProcessDir dir = entry.process(seq.incrementAndGet());
        try {
            return launcher.launch(container.id(), id, dir, process, new MonitorLauncher.StdioOwner(
                    BundleRules.hostId(process.uid(), container.privileged()),
                    BundleRules.hostId(process.gid(), container.privileged())));
        } catch (IOException e) {
            removeFailedStart(dir);
            throw GardenError.internal("cannot start process in " + container.handle() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            removeFailedStart(dir);
            throw e;
        }
    }

    private void removeFailedStart(Depot.ProcessDir dir) {
        strays.killStrayStart(dir);
        Trees.deleteRecursively(dir.dir());
    }

    /** Forgets an exited process whose id is reused: its directory goes once its monitor has gone. */
    private void discard(MonitoredProcess p) {
        p.close();
        if (p.awaitMonitorGone(DISCARD_WAIT)) {
            Trees.deleteRecursively(p.dir().dir());
        }
    }

    @Override
    public Optional<BackendProcess> find(String id) {
        synchronized (processes) {
            return Optional.ofNullable(processes.get(id));
        }
    }

    @Override
    public List<String> ids() {
        synchronized (processes) {
            return List.copyOf(processes.keySet());
        }
    }

    @Override
    public void restore() {
        for (Depot.ProcessDir dir : entry.processDirs()) {
            seq.set(Math.max(seq.get(), dir.seq()));
            try {
                switch (launcher.reattach(dir)) {
                    case MonitorLauncher.Found.Restored(MonitoredProcess p) -> {
                        p.orphan().ifPresent(strays::killOrphan);
                        synchronized (processes) {
                            MonitoredProcess older = processes.put(p.id(), p);
                            if (older != null) older.close(); // a reused id: the later start wins, as before the restart
                        }
                    }
                    case MonitorLauncher.Found.NeverStarted(Depot.ProcessDir d, String why) -> {
                        LOG.warn("removing process directory {} of {}: {}", d.dir(), container.handle(), why);
                        Trees.deleteRecursively(d.dir());
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.error("cannot restore process directory {} of {}: {}", dir.dir(), container.handle(), e.toString());
            }
        }
    }

    private List<MonitoredProcess> all() {
        synchronized (processes) {
            return List.copyOf(processes.values());
        }
    }

    @Override
    public void awaitExits(Duration timeout) {
        for (MonitoredProcess p : all()) {
            try {
                p.exit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // no exit recorded in time (the monitor is gone or stuck): closing reports it lost and ends readers
                p.close();
            }
        }
    }

    @Override
    public List<RuntimeException> release(Duration timeout) {
        List<RuntimeException> failures = new ArrayList<>();
        for (MonitoredProcess p : all()) {
            p.close();
            if (!p.awaitMonitorGone(timeout)) {
                failures.add(GardenError.internal("the monitor of process " + p.id() + " did not exit"));
            }
        }
        try {
            Trees.deleteRecursively(entry.processes());
        } catch (RuntimeException e) {
            failures.add(e);
        }
        return failures;
    }
}
