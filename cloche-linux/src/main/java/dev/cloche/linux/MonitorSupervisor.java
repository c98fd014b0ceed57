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
    private final PeaCleaner peas;
    private final OomWatch oom;
    private final Map<String, Supervised> processes = new LinkedHashMap<>();
    /** Held across a start; a destroy cannot overlap one (the core's container lock). */
    private final Object starting = new Object();
    private final AtomicLong seq = new AtomicLong();

    /** A process as the monitor runs it, and as callers see it: itself, or the pea it runs. */
    private record Supervised(MonitoredProcess process, BackendProcess face, BackendProcess seen) {
        Supervised(MonitoredProcess process, BackendProcess face) {
            this(process, face, face);
        }
    }

    MonitorSupervisor(ContainerIdentity container, Depot.Entry entry, MonitorLauncher launcher, LimitedStart limitedStart,
                      StrayProcesses strays, PeaCleaner peas) {
        this(container, entry, launcher, limitedStart, strays, peas, OomWatch.none());
    }

    /** {@code oom}: the container's OOM kills, checked as each process started here exits (EVENTS). */
    MonitorSupervisor(ContainerIdentity container, Depot.Entry entry, MonitorLauncher launcher, LimitedStart limitedStart,
                      StrayProcesses strays, PeaCleaner peas, OomWatch oom) {
        this.oom = oom;
        this.container = container;
        this.entry = entry;
        this.launcher = launcher;
        this.limitedStart = limitedStart;
        this.strays = strays;
        this.peas = peas;
    }

    @Override
    public BackendProcess start(String id, OciProcess process) {
        return start(id, process, new MonitorLauncher.Target.Exec(container.id()), container.group());
    }

    @Override
    public BackendProcess startPea(String id, OciProcess process, String peaId, java.nio.file.Path bundleDir, String group) {
        return start(id, process, new MonitorLauncher.Target.Pea(peaId, bundleDir,
                dev.cloche.linux.oci.SessionKeyring.of(container.privileged())), group);
    }

    private BackendProcess start(String id, OciProcess process, MonitorLauncher.Target target, String group) {
        // starts of one container go one at a time; the map's own lock is never held across a launch (seconds on a
        // loaded host), so info, list and the metrics census are not held up by a process starting
        synchronized (starting) {
            Supervised existing;
            synchronized (processes) {
                existing = processes.get(id);
            }
            if (existing != null && !existing.face().exit().isDone()) {
                // the core reserves process ids (BackendContainer.run's contract): this is a broken caller, not a user
                throw new IllegalStateException("process id " + id + " of " + container.handle() + " is running");
            }
            if (existing != null) {
                synchronized (processes) {
                    processes.remove(id);
                }
                discard(existing.process());
            }
            oom.prime();
            MonitoredProcess p = limitedStart.start(group, "process " + id + " in " + container.handle(),
                    () -> startOnce(id, process, target));
            BackendProcess face = target instanceof MonitorLauncher.Target.Pea(String peaId, java.nio.file.Path b, var k)
                    ? pea(p, peaId) : p;
            // callers see its exit only once the container's OOM kills have been reported (EVENTS)
            Supervised s = new Supervised(p, face, new OomReportingProcess(face, oom));
            synchronized (processes) {
                processes.put(id, s);
            }
            return s.seen();
        }
    }

    /** A pea's process: the pea is removed once its process has exited. */
    private PeaProcess pea(MonitoredProcess p, String peaId) {
        return new PeaProcess(p, peaId, () -> {
            try {
                peas.clean(peaId);
            } catch (RuntimeException e) {
                LOG.error("cannot clean pea {} of {}: {}", peaId, container.handle(), e.toString());
            }
        });
    }

    /** One attempt: a fresh process directory and its monitor; nothing of it is left when the start fails. */
    private MonitoredProcess startOnce(String id, OciProcess process, MonitorLauncher.Target target) {
        Depot.ProcessDir dir = entry.process(seq.incrementAndGet());
        try {
            // a pea shares the container's user namespace, so its ids map as the container's do
            return launcher.launch(target, id, dir, process, new MonitorLauncher.StdioOwner(
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
            return Optional.ofNullable(processes.get(id)).map(Supervised::seen);
        }
    }

    @Override
    public List<String> ids() {
        synchronized (processes) {
            return List.copyOf(processes.keySet());
        }
    }

    /**
     * Peas are found by the {@code pea} file of their process directory: a live one holds its image again and is
     * removed when it exits, an exited one is removed now; pea directories no process names (a start cut short by
     * the crash) are removed too.
     */
    @Override
    public void restore() {
        java.util.Set<String> named = new java.util.HashSet<>();
        for (Depot.ProcessDir dir : entry.processDirs()) {
            seq.set(Math.max(seq.get(), dir.seq()));
            try {
                Optional<String> peaId = peaOf(dir);
                peaId.ifPresent(named::add);
                switch (launcher.reattach(dir)) {
                    case MonitorLauncher.Found.Restored(MonitoredProcess p) -> {
                        p.orphan().ifPresent(strays::killOrphan);
                        peaId.ifPresent(peas::reacquire);
                        Supervised s = new Supervised(p, peaId.<BackendProcess>map(pid -> pea(p, pid)).orElse(p));
                        synchronized (processes) {
                            Supervised older = processes.put(p.id(), s);
                            // a reused id: the later start wins, as before the restart
                            if (older != null) older.process().close();
                        }
                    }
                    case MonitorLauncher.Found.NeverStarted(Depot.ProcessDir d, String why) -> {
                        LOG.warn("removing process directory {} of {}: {}", d.dir(), container.handle(), why);
                        peaId.ifPresent(peas::clean);
                        Trees.deleteRecursively(d.dir());
                    }
                }
            } catch (IOException | RuntimeException e) {
                LOG.error("cannot restore process directory {} of {}: {}", dir.dir(), container.handle(), e.toString());
            }
        }
        for (String peaId : peas.peaIds()) {
            if (!named.contains(peaId)) {
                LOG.warn("removing pea {} of {}: no process directory names it", peaId, container.handle());
                peas.clean(peaId);
            }
        }
    }

    private static Optional<String> peaOf(Depot.ProcessDir dir) throws IOException {
        return java.nio.file.Files.exists(dir.pea())
                ? Optional.of(java.nio.file.Files.readString(dir.pea()).strip()) : Optional.empty();
    }

    private List<Supervised> all() {
        synchronized (processes) {
            return List.copyOf(processes.values());
        }
    }

    @Override
    public void awaitExits(Duration timeout) {
        for (Supervised s : all()) {
            try {
                s.face().exit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // no exit recorded in time (the monitor is gone or stuck): closing reports it lost and ends readers
                s.process().close();
            }
        }
    }

    /** Peas are removed too, before their directories go: a pea's volume is mounted inside the container's entry. */
    @Override
    public List<RuntimeException> release(Duration timeout) {
        List<RuntimeException> failures = new ArrayList<>();
        for (Supervised s : all()) {
            MonitoredProcess p = s.process();
            p.close();
            if (!p.awaitMonitorGone(timeout)) {
                failures.add(GardenError.internal("the monitor of process " + p.id() + " did not exit"));
            }
            if (s.face() instanceof PeaProcess pea) {
                try {
                    pea.exit().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (Exception e) {
                    // its own clean-up is late or failed: the sweep below does it again (it is idempotent)
                }
            }
        }
        for (String peaId : peas.peaIds()) {
            failures.addAll(peas.clean(peaId));
        }
        try {
            Trees.deleteRecursively(entry.processes());
        } catch (RuntimeException e) {
            failures.add(e);
        }
        return failures;
    }
}
