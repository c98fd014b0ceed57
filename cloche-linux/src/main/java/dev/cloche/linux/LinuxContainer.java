package dev.cloche.linux;

import dev.cloche.api.ConflictException;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.linux.fs.ContainerFiles;
import dev.cloche.linux.net.ContainerNet;
import dev.cloche.linux.oci.OciProcess;
import dev.cloche.linux.sys.ProcessTable;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProcess;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One runc/crun container with its overlay, cgroups and depot entry {@code <depot>/containers/<id>}. */
final class LinuxContainer implements BackendContainer {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LinuxContainer.class);
    /** Where process directories were kept before they moved to the process root (restored, never created). */
    static final String LEGACY_PROCESSES = Depot.Entry.LEGACY_PROCESSES;
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final LinuxBackend.Parts parts;
    private final DepotMeta meta;
    private final Depot.Entry entry;
    private final String group;
    private final OciProcessBuilder processBuilder;
    private final ProcessSupervisor processes;
    private final StrayProcesses strays;
    private final ContainerStatus status;
    private final ContainerCommands commands;
    private final TarStreams streams;
    private final ContainerResources resources;
    private volatile ContainerNet net = ContainerNet.none();

    LinuxContainer(LinuxBackend.Parts parts, DepotMeta meta, Depot.Entry entry) {
        this.parts = parts;
        this.meta = meta;
        this.entry = entry;
        this.group = "/" + parts.settings().cgroupParent() + "/" + meta.id();
        this.processBuilder = OciProcessBuilder.of(meta, parts.hostCapabilities());
        ContainerIdentity identity = ContainerIdentity.of(meta, parts.settings().cgroupParent());
        this.strays = new StrayProcesses(identity, parts.cgroups(), parts.processes());
        this.processes = new MonitorSupervisor(identity, entry, parts.launcher(), parts.limitedStart(), strays);
        this.status = new ContainerStatus(meta.handle());
        this.commands = new ContainerCommands(identity, entry, status, processBuilder, parts.runtime(), parts.processes());
        this.streams = new TarStreams(identity, entry, status, commands, parts.processes());
        this.resources = new ContainerResources(identity, entry, meta, status, parts.cgroups(),
                parts.volumizer(meta.privileged()), System::currentTimeMillis);
    }

    /** Network hook: the create recipe (or restore) hands over the container's network. */
    void useNetwork(ContainerNet n) {
        this.net = n;
    }

    @Override
    public String handle() {
        return meta.handle();
    }

    private Path rootfs() {
        return entry.volume().merged();
    }

    private void requireExists() {
        status.requireExists();
    }

    @Override
    public BackendProcess run(ProcessSpec spec) {
        requireExists();
        if (status.stopped()) throw new ConflictException("container " + meta.handle() + " is stopped");
        if (!spec.bindMounts().isEmpty()) {
            throw new InvalidRequestException("bind mounts are only supported for processes with their own image");
        }
        ContainerFiles files = new ContainerFiles(rootfs());
        ContainerFiles.User user = files.user(spec.user());
        OciProcess process = processBuilder.process(spec, user);
        if (files.resolve(process.cwd()).isEmpty()) {
            commands.createWorkingDir(process.cwd(), user);
        }
        if (files.findExecutable(spec.path(), process.cwd(), OciProcessBuilder.path(process.env())).isEmpty()) {
            throw new ExecutableNotFoundException("exec: \"" + spec.path() + "\": executable file not found in $PATH");
        }
        return processes.start(spec.id(), process);
    }

    @Override
    public Optional<BackendProcess> process(String processId) {
        return processes.find(processId);
    }

    @Override
    public List<String> processIds() {
        return processes.ids();
    }

    @Override
    public void stop(boolean kill) {
        requireExists();
        long init = initPid();
        if (!kill) {
            // TERM everything but the init first: the init exits on TERM, and with it the kernel would KILL the rest
            for (long pid : parts.cgroups().pids(group)) {
                if (pid != init) parts.processes().find(pid).ifPresent(ProcessTable.Handle::terminate);
            }
            parts.processes().awaitGone(parts.cgroups().pids(group).stream().filter(p -> p != init).toList(), STOP_GRACE);
        }
        parts.runtime().kill(meta.id(), "KILL", true);
        List<Long> left = new ArrayList<>(parts.cgroups().pids(group));
        if (init > 0) left.add(init);
        if (!parts.processes().awaitGone(left, KILL_WAIT)) {
            throw GardenError.internal("processes of " + meta.handle() + " survived SIGKILL");
        }
        processes.awaitExits(KILL_WAIT);
        status.markStopped();
    }

    /** After a restart: the processes are found again in their directories (docs/process-monitor.md §5). */
    void restoreProcesses() {
        processes.restore();
    }

    /** Where this container's process directories are. */
    Path processDir() {
        return entry.processes();
    }

    /** Kills what a failed start in {@code processDir} may have left running (docs/process-monitor.md §7). */
    void killStrayStart(Path processDir) {
        strays.killStrayStart(new Depot.ProcessDir(processDir));
    }

    private long initPid() {
        return entry.readInitPid();
    }

    @Override
    public BackendInfo info() {
        requireExists();
        String s = status.describe();
        // Garden's event for an OOM kill in the container; the kernel keeps the count in the memory cgroup
        List<String> events = resources.events();
        ContainerNet n = net;
        return new BackendInfo(s, events, n.hostIp(), n.containerIp(), n.externalIp(), entry.dir().toString(), n.mappedPorts());
    }

    @Override
    public Limits limits() {
        return resources.limits();
    }

    @Override
    public void updateLimits(Limits limits) {
        resources.updateLimits(limits);
    }

    @Override
    public ContainerMetrics metrics() {
        return resources.metrics(net);
    }

    @Override
    public void streamIn(StreamInSpec spec) {
        streams.streamIn(spec);
    }

    @Override
    public InputStream streamOut(StreamOutSpec spec) {
        return streams.streamOut(spec);
    }

    @Override
    public PortMapping netIn(int hostPort, int containerPort) {
        requireExists();
        return net.netIn(hostPort, containerPort);
    }

    @Override
    public void netOut(List<NetOutRule> rules) {
        requireExists();
        net.netOut(rules);
    }

    @Override
    public void destroy() {
        List<RuntimeException> failures = new ArrayList<>();
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
            parts.volumizer(meta.privileged()).destroy(entry.volume());
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
        }
        status.markDestroyed();
        if (!failures.isEmpty()) {
            GardenError error = GardenError.internal("destroying " + meta.handle() + " left: "
                    + failures.stream().map(Throwable::getMessage).toList());
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    /**
     * SIGKILL to the init through a pidfd, which takes every process of the container's pid namespace with it, and
     * a wait for its exit without polling: about 10 ms less per destroy than {@code runtime kill --all} and a /proc
     * poll (docs/benchmarks.md, lifecycle). The pid is the init's only while it is in the container's cgroup (a
     * recycled pid would be elsewhere), checked after opening the pidfd, which pins the process. False when it could
     * not be done: the caller falls back to the runtime.
     */
    private boolean killInit(long init) {
        return parts.processes().killPinned(init, () -> parts.cgroups().pids(group).contains(init), KILL_WAIT);
    }

    /**
     * Kill, wait for the init to exit (a zombie counts: it is not our child), delete, then the cgroup dirs the
     * runtime may leave. Avoids {@code delete --force}, which polls for 100 ms steps in runc.
     */
    void removeRuntime() {
        List<RuntimeException> failures = new ArrayList<>();
        long init = initPid();
        if (!killInit(init)) {
            parts.runtime().kill(meta.id(), "KILL", true);
        }
        List<Long> pids = new ArrayList<>(parts.cgroups().pids(group));
        if (init > 0) pids.add(init);
        if (!parts.processes().awaitGone(pids, KILL_WAIT)) {
            failures.add(GardenError.internal("processes " + pids + " survived SIGKILL"));
        }
        try {
            parts.runtime().delete(meta.id());
        } catch (RuntimeException e) {
            failures.add(e);
        }
        try {
            parts.cgroups().remove(group);
        } catch (RuntimeException e) {
            failures.add(e);
        }
        if (!failures.isEmpty()) {
            RuntimeException first = failures.getFirst();
            failures.stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }
}
