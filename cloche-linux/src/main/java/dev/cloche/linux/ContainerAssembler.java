package dev.cloche.linux;

import dev.cloche.linux.cgroup.Cgroups;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.image.ContainerImages;
import dev.cloche.linux.oci.OciRuntime;
import dev.cloche.linux.sys.ProcessTable;
import dev.cloche.spi.BackendEvents;
import java.util.function.Supplier;

/**
 * Puts one container together from the backend's shared parts: its identity and status, and each of its roles with
 * exactly the collaborators that role uses.
 */
final class ContainerAssembler {
    private final String cgroupParent;
    private final long hostCapabilities;
    private final ContainerRuntimes runtimes;
    private final Cgroups cgroups;
    private final ProcessTable table;
    private final Volumizer privilegedVolumes;
    private final Volumizer unprivilegedVolumes;
    private final LimitedStart limitedStart;
    private final ContainerImages images;
    private final Supplier<BackendEvents> events;

    /**
     * @param hostCapabilities the capabilities this host lets us grant, as a bit mask
     * @param privilegedVolumes the volumizer of privileged containers
     * @param unprivilegedVolumes the volumizer of unprivileged ones, whose writable layer belongs to their mapped root
     */
    ContainerAssembler(String cgroupParent, long hostCapabilities, ContainerRuntimes runtimes, Cgroups cgroups,
                       ProcessTable table, Volumizer privilegedVolumes, Volumizer unprivilegedVolumes,
                       LimitedStart limitedStart, ContainerImages images, Supplier<BackendEvents> events) {
        this.events = events;
        this.cgroupParent = cgroupParent;
        this.hostCapabilities = hostCapabilities;
        this.runtimes = runtimes;
        this.cgroups = cgroups;
        this.table = table;
        this.privilegedVolumes = privilegedVolumes;
        this.unprivilegedVolumes = unprivilegedVolumes;
        this.limitedStart = limitedStart;
        this.images = images;
    }

    Volumizer volumizer(boolean privileged) {
        return privileged ? privilegedVolumes : unprivilegedVolumes;
    }

    long hostCapabilities() {
        return hostCapabilities;
    }

    String cgroupParent() {
        return cgroupParent;
    }

    /**
     * The container recorded as {@code meta} in {@code entry}, driven by the runtime it was made with; nothing is read
     * or started.
     */
    LinuxContainer assemble(DepotMeta meta, Depot.Entry entry) {
        ContainerRuntimes.Runtime made = runtimes.of(meta.madeWith());
        OciRuntime runtime = made.oci();
        MonitorLauncher launcher = made.launcher();
        ContainerIdentity identity = ContainerIdentity.of(meta, cgroupParent);
        ContainerStatus status = new ContainerStatus(meta.handle());
        OciProcessBuilder processBuilder = OciProcessBuilder.of(meta, hostCapabilities);
        Volumizer volumizer = volumizer(meta.privileged());
        StrayProcesses strays = new StrayProcesses(identity, cgroups, table);
        PeaCleaner peaCleaner = new PeaCleaner(identity, entry, runtime, cgroups, volumizer, images);
        ProcessSupervisor processes = new MonitorSupervisor(identity, entry, launcher, limitedStart, strays, peaCleaner,
                OomWatch.of(identity, cgroups, events));
        ContainerRoot root = new ContainerRoot(entry, status, table, volumizer);
        PeaCreator peas = new PeaCreator(identity, entry, root, processBuilder.capabilities(), images, volumizer,
                processes, peaCleaner);
        ContainerCommands commands = new ContainerCommands(identity, entry, status, processBuilder, runtime, table);
        return new LinuxContainer(identity, entry, status, processBuilder, processes, peas, strays, commands, root,
                new TarStreams(identity, entry, status, commands, root),
                new ContainerResources(identity, entry, meta, status, cgroups, volumizer, System::currentTimeMillis),
                new ContainerLifecycle(identity, entry, status, processes, runtime, cgroups, table, volumizer,
                        () -> images.release(meta.imageId(), meta.handle())));
    }
}
