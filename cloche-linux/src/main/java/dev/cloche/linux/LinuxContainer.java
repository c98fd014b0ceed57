package dev.cloche.linux;

import dev.cloche.api.ConflictException;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.Limits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.linux.fs.ContainerFiles;
import dev.cloche.linux.net.ContainerNet;
import dev.cloche.linux.oci.OciProcess;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProcess;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One runc/crun container with its overlay, cgroups and depot entry: Garden's verbs, each handed to the role that
 * does it (processes, files, resources, lifecycle). Made by {@link ContainerAssembler}.
 */
final class LinuxContainer implements BackendContainer {
    /** Where process directories were kept before they moved to the process root (restored, never created). */
    static final String LEGACY_PROCESSES = Depot.Entry.LEGACY_PROCESSES;

    private final ContainerIdentity identity;
    private final Depot.Entry entry;
    private final ContainerStatus status;
    private final OciProcessBuilder processBuilder;
    private final ProcessSupervisor processes;
    private final PeaCreator peas;
    private final StrayProcesses strays;
    private final ContainerCommands commands;
    private final ContainerRoot root;
    private final TarStreams streams;
    private final ContainerResources resources;
    private final ContainerLifecycle lifecycle;
    private volatile ContainerNet net = ContainerNet.none();

    LinuxContainer(ContainerIdentity identity, Depot.Entry entry, ContainerStatus status, OciProcessBuilder processBuilder,
                   ProcessSupervisor processes, PeaCreator peas, StrayProcesses strays, ContainerCommands commands, ContainerRoot root,
                   TarStreams streams,
                   ContainerResources resources, ContainerLifecycle lifecycle) {
        this.identity = identity;
        this.entry = entry;
        this.status = status;
        this.processBuilder = processBuilder;
        this.processes = processes;
        this.peas = peas;
        this.strays = strays;
        this.commands = commands;
        this.root = root;
        this.streams = streams;
        this.resources = resources;
        this.lifecycle = lifecycle;
    }

    /** Network hook: the create recipe (or restore) hands over the container's network. */
    void useNetwork(ContainerNet n) {
        this.net = n;
    }

    @Override
    public String handle() {
        return identity.handle();
    }

    /**
     * Checks what Garden checks before a process starts (a known user, an executable, a working directory, made if
     * missing) and hands it to the supervisor; a process with an image of its own is a pea (docs/peas.md).
     */
    @Override
    public BackendProcess run(ProcessSpec spec) {
        status.requireExists();
        if (status.stopped()) throw new ConflictException("container " + identity.handle() + " is stopped");
        if (!spec.image().uri().isEmpty()) {
            return peas.start(spec);
        }
        ContainerFiles files = root.files();
        ContainerFiles.User user = files.user(processBuilder.user(spec));
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
        lifecycle.stop(kill);
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

    @Override
    public BackendInfo info() {
        status.requireExists();
        ContainerNet n = net;
        return new BackendInfo(status.describe(), resources.events(), n.hostIp(), n.containerIp(), n.externalIp(),
                entry.dir().toString(), n.mappedPorts());
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
        status.requireExists();
        return net.netIn(hostPort, containerPort);
    }

    @Override
    public void netOut(List<NetOutRule> rules) {
        status.requireExists();
        net.netOut(rules);
    }

    @Override
    public void destroy() {
        lifecycle.destroy(net);
    }

    /** Removes the runtime's container and cgroups: the create recipe's undo once the runtime was asked to run it. */
    void removeRuntime() {
        lifecycle.removeRuntime();
    }
}
