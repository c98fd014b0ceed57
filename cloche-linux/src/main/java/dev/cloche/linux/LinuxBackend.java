package dev.cloche.linux;

import dev.cloche.api.Capacity;
import dev.cloche.api.GardenError;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.LayerProgress;
import dev.cloche.image.ImageSources;
import dev.cloche.linux.cgroup.CgroupFs;
import dev.cloche.linux.cgroup.Cgroups;
import dev.cloche.linux.fs.Volumizers;
import dev.cloche.linux.image.ContainerImages;
import dev.cloche.linux.image.OverlayImageStore;
import dev.cloche.linux.net.Networker;
import dev.cloche.linux.net.Networkers;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.DirectoryWatcher;
import dev.cloche.linux.sys.Inodes;
import dev.cloche.linux.sys.Mounts;
import dev.cloche.linux.sys.ProcFs;
import dev.cloche.linux.sys.ProcessTable;
import dev.cloche.linux.sys.SealedBinaries;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendEvents;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers on runc/crun with an overlay root, cgroup v1 limits and (unprivileged) a Guardian-style user namespace:
 * the backend's shared parts, made once, and the host set-up they need (depot, process tmpfs, crun's cgroups).
 */
final class LinuxBackend implements ContainerBackend {
    private static final Logger LOG = LoggerFactory.getLogger(LinuxBackend.class);
    /** Safety net under inotify for process directories: the longest a missed event can delay output or an exit. */
    private static final Duration WATCH_TICK = Duration.ofSeconds(1);

    private final Settings settings;
    private final CommandRunner runner;
    private final Mounts mounts;
    private final Cgroups cgroups;
    /** Where OOM kills are reported; the core sets it before restore (EVENTS). */
    private volatile BackendEvents events = BackendEvents.NONE;
    private final DirectoryWatcher watcher;
    private final SealedBinaries sealed;
    private final Networker networker;
    private final ContainerRecipes recipes;
    private final ImageSources imageSources;
    private final ContainerImages images;
    private final ContainerBound bound;

    LinuxBackend(Settings settings, CommandRunner runner, Path cgroupRoot) {
        this(settings, runner, Mounts.syscalls(), cgroupRoot,
                settings.sealedRuntime() ? SealedBinaries.memfd(runner) : SealedBinaries.none());
    }

    /** Unit tests: the runtime runs from its file, so the commands they record name it. */
    LinuxBackend(Settings settings, CommandRunner runner, Mounts mounts, Path cgroupRoot) {
        this(settings, runner, mounts, cgroupRoot, SealedBinaries.none());
    }

    private LinuxBackend(Settings settings, CommandRunner runner, Mounts mounts, Path cgroupRoot, SealedBinaries sealed) {
        this.settings = settings;
        this.sealed = sealed;
        this.bound = ContainerBound.of(settings);
        LOG.info("at most {} containers: {}", bound.containers(), bound.why());
        this.runner = runner;
        this.mounts = mounts;
        this.cgroups = CgroupFs.detect(cgroupRoot);
        this.watcher = new DirectoryWatcher(WATCH_TICK);
        ProcessTable table = ProcessTable.procfs();
        ContainerRuntimes runtimes = new ContainerRuntimes(settings, runner, watcher, table, sealed);
        Depot depot = new Depot(settings.depot(), settings.processRoot());
        this.networker = Networkers.of(settings.net(), runner);
        this.imageSources = new ImageSources(settings.images().registries());
        this.images = new ContainerImages(settings.defaultRootfs(), settings.images().registries().defaultRegistry(),
                Volumizers.shiftingCache(runner, depot.images(), BundleRules.MAX_UID), runner,
                new OverlayImageStore(depot.images(), imageSources::open, BundleRules.MAX_UID,
                        settings.images().cleanupThresholdBytes(), Inodes.syscalls()));
        ContainerAssembler assembler = new ContainerAssembler(settings.cgroupParent(), ProcFs.boundingCapabilities(),
                runtimes, cgroups, table, Volumizers.overlay(runner, mounts, -1),
                Volumizers.overlay(runner, mounts, BundleRules.MAX_UID), LimitedStart.of(cgroups, settings.pidLimitRetry()),
                images, () -> events);
        this.recipes = new ContainerRecipes(settings, depot, runtimes, images, networker, assembler);
        try {
            depot.prepare();
            Files.createDirectories(settings.runtimeRoot());
        } catch (IOException e) {
            throw GardenError.internal("cannot create depot " + settings.depot(), e);
        }
        prepareProcessRoot();
        if (settings.runtime().equals("crun") && !CgroupFs.isUnified(cgroupRoot)) {
            prepareCgroupsForCrun(cgroupRoot);
        }
        if (!Files.isDirectory(settings.defaultRootfs())) {
            LOG.warn("default root filesystem {} does not exist: containers without an image will be refused",
                    settings.defaultRootfs());
        }
    }

    /**
     * Mounts the process tmpfs unless it is there already (processes outlive the daemon, and so does the mount). A
     * directory that already holds process directories is used as it is: a mount would hide them.
     */
    private void prepareProcessRoot() {
        Path root = settings.processRoot();
        try {
            Files.createDirectories(root);
            if (settings.processTmpfs().isEmpty() || ProcFs.isMounted(root)) return;
            try (var entries = Files.list(root)) {
                if (entries.findAny().isPresent()) {
                    LOG.warn("process root {} is not empty: using it as it is, without a tmpfs", root);
                    return;
                }
            }
        } catch (IOException e) {
            throw GardenError.internal("cannot create process root " + root, e);
        }
        mounts.mount("cloche-processes", root, "tmpfs", Mounts.NOSUID | Mounts.NODEV | Mounts.NOEXEC,
                "size=" + settings.processTmpfs().get() + ",mode=0700");
    }

    /** The process tmpfs goes with the daemon only when no container has processes in it: they outlive the daemon. */
    private void releaseProcessRoot() {
        Path root = settings.processRoot();
        try (var entries = Files.list(root)) {
            if (entries.findAny().isPresent() || settings.processTmpfs().isEmpty() || !ProcFs.isMounted(root)) return;
        } catch (IOException e) {
            return;
        }
        try {
            mounts.unmount(root);
        } catch (RuntimeException e) {
            LOG.warn("cannot unmount the process tmpfs {}: {}", root, e.getMessage());
        }
    }

    /** crun 1.8 refuses hybrid hosts whose cgroup2 holds a controller; giving hugetlb its own v1 hierarchy empties it. */
    private void prepareCgroupsForCrun(Path cgroupRoot) {
        Path controllers = cgroupRoot.resolve("unified/cgroup.controllers");
        try {
            if (!Files.exists(controllers) || Files.readString(controllers).isBlank()) return;
        } catch (IOException e) {
            return;
        }
        Path hugetlb = cgroupRoot.resolve("hugetlb");
        runner.check(List.of("mkdir", "-p", hugetlb.toString()));
        if (!ProcFs.isMounted(hugetlb)) {
            runner.check(List.of("mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", hugetlb.toString()));
        }
    }

    /** The runtime id of a handle (also its depot entry's name): see {@link ContainerIdentity#runtimeId}. */
    static String runtimeId(String handle) {
        return ContainerIdentity.runtimeId(handle);
    }

    @Override
    public BackendContainer create(BackendSpec spec) {
        return recipes.create(spec);
    }

    @Override
    public List<RestoredContainer> restore() {
        return recipes.restore();
    }

    @Override
    public List<ImageInfo> images() {
        return images.images();
    }

    @Override
    public ImagePruneReport pruneImages() {
        return images.prune();
    }

    @Override
    public ImageInfo pullImage(ImageRef ref, Consumer<LayerProgress> progress) {
        return images.pull(ref, progress);
    }

    @Override
    public Capacity capacity() {
        try {
            FileStore store = Files.getFileStore(settings.depot());
            return new Capacity(ProcFs.memTotalBytes(), store.getTotalSpace(), store.getUsableSpace(), bound.containers());
        } catch (IOException e) {
            throw GardenError.internal("cannot read depot filesystem", e);
        }
    }

    /** OOM kills go to the core as its processes exit ({@link OomWatch}). */
    @Override
    public void reportTo(BackendEvents events) {
        this.events = events;
    }

    @Override
    public String containerBound() {
        return bound.why();
    }

    @Override
    public void close() {
        // containers outlive the daemon: only the shared parent group goes, and only if no container uses it
        networker.close();
        cgroups.removeIfEmpty("/" + settings.cgroupParent());
        watcher.close();
        images.store().close();
        imageSources.close();
        releaseProcessRoot();
        sealed.close();
        LOG.debug("linux backend closed");
    }
}
