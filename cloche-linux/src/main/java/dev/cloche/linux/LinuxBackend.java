package dev.cloche.linux;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.Capacity;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.linux.cgroup.CgroupFs;
import dev.cloche.linux.cgroup.Cgroups;
import dev.cloche.linux.fs.DiskQuota;
import dev.cloche.linux.fs.ImageCache;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.fs.Volumizers;
import dev.cloche.linux.net.ContainerNet;
import dev.cloche.linux.net.NetRequest;
import dev.cloche.linux.net.Networker;
import dev.cloche.linux.net.Networkers;
import dev.cloche.linux.oci.Bundle;
import dev.cloche.linux.oci.BundleInput;
import dev.cloche.linux.oci.BundleJson;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.linux.oci.OciRuntime;
import dev.cloche.linux.oci.OciRuntimes;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.DirectoryWatcher;
import dev.cloche.linux.sys.Mounts;
import dev.cloche.linux.sys.ProcFs;
import dev.cloche.linux.sys.ProcessTable;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Containers on runc/crun with an overlay root, cgroup v1 limits and (unprivileged) a Guardian-style user namespace. */
final class LinuxBackend implements ContainerBackend {
    private static final Logger LOG = LoggerFactory.getLogger(LinuxBackend.class);
    private static final Pattern RUNTIME_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    /** Safety net under inotify for process directories: the longest a missed event can delay output or an exit. */
    private static final java.time.Duration WATCH_TICK = java.time.Duration.ofSeconds(1);

    /** Everything a container needs from its backend. */
    record Parts(Settings settings, CommandRunner runner, Mounts mounts, OciRuntime runtime, Cgroups cgroups,
                 Volumizer privilegedVolumes, Volumizer unprivilegedVolumes, long hostCapabilities, DirectoryWatcher watcher,
                 LimitedStart limitedStart, ProcessTable processes, MonitorLauncher launcher) {
        Volumizer volumizer(boolean privileged) {
            return privileged ? privilegedVolumes : unprivilegedVolumes;
        }
    }

    private final Parts parts;
    private final Networker networker;
    private final ImageCache images;
    private final Depot depot;
    private final java.util.Map<Path, DepotMeta.ImageSize> imageSizes = new java.util.concurrent.ConcurrentHashMap<>();

    LinuxBackend(Settings settings, CommandRunner runner, Path cgroupRoot) {
        this(settings, runner, Mounts.syscalls(), cgroupRoot);
    }

    LinuxBackend(Settings settings, CommandRunner runner, Mounts mounts, Path cgroupRoot) {
        OciRuntime runtime = OciRuntimes.cli(runner, settings.runtimePath(), settings.runtimeRoot());
        Cgroups cgroups = CgroupFs.detect(cgroupRoot);
        DirectoryWatcher watcher = new DirectoryWatcher(WATCH_TICK);
        this.parts = new Parts(settings, runner, mounts, runtime, cgroups,
                Volumizers.overlay(runner, mounts, -1), Volumizers.overlay(runner, mounts, BundleRules.MAX_UID),
                ProcFs.boundingCapabilities(), watcher,
                LimitedStart.of(cgroups, settings.pidLimitRetry()), ProcessTable.procfs(),
                new MonitorLauncher(settings.monitorBinary(), runtime, runner, watcher, ProcessTable.procfs()));
        this.depot = new Depot(settings.depot(), settings.processRoot());
        this.images = Volumizers.shiftingCache(runner, depot.images(), BundleRules.MAX_UID);
        this.networker = Networkers.of(settings.net(), runner);
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
        Path root = parts.settings().processRoot();
        try {
            Files.createDirectories(root);
            if (parts.settings().processTmpfs().isEmpty() || ProcFs.isMounted(root)) return;
            try (var entries = Files.list(root)) {
                if (entries.findAny().isPresent()) {
                    LOG.warn("process root {} is not empty: using it as it is, without a tmpfs", root);
                    return;
                }
            }
        } catch (IOException e) {
            throw GardenError.internal("cannot create process root " + root, e);
        }
        parts.mounts().mount("cloche-processes", root, "tmpfs", Mounts.NOSUID | Mounts.NODEV | Mounts.NOEXEC,
                "size=" + parts.settings().processTmpfs().get() + ",mode=0700");
    }

    /** The process tmpfs goes with the daemon only when no container has processes in it: they outlive the daemon. */
    private void releaseProcessRoot() {
        Path root = parts.settings().processRoot();
        try (var entries = Files.list(root)) {
            if (entries.findAny().isPresent() || parts.settings().processTmpfs().isEmpty() || !ProcFs.isMounted(root)) return;
        } catch (IOException e) {
            return;
        }
        try {
            parts.mounts().unmount(root);
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
        parts.runner().check(List.of("mkdir", "-p", hugetlb.toString()));
        if (!ProcFs.isMounted(hugetlb)) {
            parts.runner().check(List.of("mount", "-t", "cgroup", "-o", "hugetlb", "cgroup", hugetlb.toString()));
        }
    }

    /** The runtime id: the handle where runtimes accept it, else a stable hash of it. */
    static String runtimeId(String handle) {
        if (RUNTIME_ID.matcher(handle).matches()) return handle;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(handle.getBytes(StandardCharsets.UTF_8));
            return "h-" + HexFormat.of().formatHex(d, 0, 20);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public BackendContainer create(BackendSpec backendSpec) {
        ContainerSpec spec = backendSpec.spec();
        String handle = backendSpec.handle();
        Settings s = parts.settings();
        Path image = image(spec);
        String id = runtimeId(handle);
        Depot.Entry entry = depot.entry(id);
        if (entry.exists()) {
            throw new AlreadyExistsException("Handle '" + handle + "' already in use");
        }
        if (depot.entryCount() >= s.maxContainers()) {
            throw new ResourceExhaustedException("max containers reached: " + s.maxContainers());
        }
        long now = System.currentTimeMillis();
        Rollback rollback = new Rollback();
        try {
            entry.create();
            rollback.add("depot entry", entry::delete);
            DepotMeta.ImageSize imageSize = imageSize(image);
            DiskQuota quota = quota(spec.limits().disk(), imageSize);
            DepotMeta meta = DepotMeta.of(handle, id, spec.privileged(), spec.env(), now, spec.limits(), imageSize);
            entry.writeMeta(meta);

            Path lower = images.lowerFor(image, spec.privileged());
            Volumizer volumizer = parts.volumizer(spec.privileged());
            rollback.add("overlay", () -> volumizer.destroy(entry.volume()));
            Path rootfs = volumizer.create(lower, entry.volume(), quota);

            Bundle bundle = BundleRules.build(new BundleInput(id, spec, rootfs, s.initBinary(), s.toolBinary(), s.cgroupParent(),
                    parts.hostCapabilities()));
            Files.writeString(entry.config(), BundleJson.config(bundle));

            LinuxContainer container = new LinuxContainer(parts, meta, entry);
            // registered before create: runtimes leave state and cgroup dirs behind when create fails part-way
            rollback.add("runtime container", container::removeRuntime);
            // One runtime call instead of create + start (about 9 ms less per container, docs/benchmarks.md): the
            // init only waits for signals, so the network can join it after it started, and no Garden process can
            // run in the container before this method returns.
            parts.runtime().runDetached(id, entry.dir(), entry.initPid());
            attachNetwork(container, spec, id, entry, rootfs, rollback);
            return container;
        } catch (GardenException e) {
            throw rollback.unwind(e);
        } catch (IOException | RuntimeException e) {
            throw rollback.unwind(GardenError.internal("creating container " + handle + " failed: " + e.getMessage(), e));
        }
    }

    /**
     * Garden's disk limits as a quota on the writable layer. Only hard limits can be enforced (a filesystem of that
     * size); soft limits are recorded and reported but, as in Guardian, not enforced. Scope "total" counts the image
     * too, so the writable layer gets the limit minus the image; "exclusive" counts only what the container writes.
     */
    static DiskQuota quota(DiskLimits disk, DepotMeta.ImageSize image) {
        boolean total = disk.scope() == DiskLimits.DiskLimitScope.TOTAL;
        long bytes = disk.byteHard();
        long inodes = disk.inodeHard();
        if (total && bytes > 0) {
            bytes -= image.bytes();
            if (bytes <= 0) {
                throw new InvalidRequestException("disk limit of " + disk.byteHard() + " bytes is smaller than the image ("
                        + image.bytes() + " bytes); use a larger limit or scope exclusive");
            }
        }
        if (total && inodes > 0) {
            inodes -= image.inodes();
            if (inodes <= 0) {
                throw new InvalidRequestException("inode limit of " + disk.inodeHard() + " is smaller than the image's "
                        + image.inodes() + " inodes; use a larger limit or scope exclusive");
            }
        }
        return new DiskQuota(bytes, inodes);
    }

    /** Allocated bytes and inodes of an image, measured once per image directory (images are read-only). */
    private DepotMeta.ImageSize imageSize(Path image) {
        return imageSizes.computeIfAbsent(image, i -> {
            long bytes = firstNumber(parts.runner().check(List.of("du", "-s", "-B1", i.toString())).stdout());
            long inodes = firstNumber(parts.runner().check(List.of("du", "-s", "--inodes", i.toString())).stdout());
            return new DepotMeta.ImageSize(bytes, inodes);
        });
    }

    private static long firstNumber(String s) {
        try {
            return Long.parseLong(s.strip().split("\\s+")[0]);
        } catch (NumberFormatException e) {
            throw GardenError.internal("unexpected du output: " + s);
        }
    }

    /** Network step: plumbed for the created (not yet started) init, so the first process already has it. */
    private void attachNetwork(LinuxContainer container, ContainerSpec spec, String id, Depot.Entry entry, Path rootfs,
                               Rollback rollback) {
        ContainerNet net = networker.attach(new NetRequest(id, BundleRules.hostname(spec.handle()), spec.network(),
                entry.initPid(), entry.network(),
                rootfs, spec.privileged() ? 0 : BundleRules.MAX_UID, spec.netIn(), spec.netOut(), spec.limits().bandwidth()));
        rollback.add("network", net::release);
        container.useNetwork(net);
    }

    private Path image(ContainerSpec spec) {
        String uri = spec.imageUri();
        if (uri.isEmpty()) {
            Path def = parts.settings().defaultRootfs();
            if (!Files.isDirectory(def)) {
                throw new InvalidRequestException("no image given and the default root filesystem " + def
                        + " does not exist (build it with `make rootfs`, or start the daemon with --rootfs DIR)");
            }
            return def;
        }
        String path = uri.startsWith("file://") ? uri.substring("file://".length()) : uri;
        if (uri.contains("://") && !uri.startsWith("file://") || !path.startsWith("/")) {
            throw new InvalidRequestException("the linux backend takes images as host directories, not " + uri);
        }
        Path p = Path.of(path);
        if (!Files.isDirectory(p)) {
            throw new InvalidRequestException("image directory does not exist: " + path);
        }
        return p;
    }

    @Override
    public List<RestoredContainer> restore() {
        List<RestoredContainer> out = new ArrayList<>();
        List<ContainerNet> adopted = new ArrayList<>();
        for (Depot.Entry entry : depot.entries()) {
            DepotMeta meta;
            try {
                meta = entry.readMeta();
            } catch (IOException | RuntimeException e) {
                out.add(new RestoredContainer(entry.id(), Optional.empty(),
                        Optional.of("unreadable depot entry " + entry.dir() + ": " + e.getMessage())));
                continue;
            }
            Optional<OciRuntime.State> state = parts.runtime().state(meta.id());
            if (state.isPresent() && state.get().status().equals("running")) {
                LinuxContainer container = new LinuxContainer(parts, meta, entry);
                ContainerNet net = networker.adopt(entry.network());
                container.useNetwork(net);
                adopted.add(net);
                container.restoreProcesses();
                out.add(new RestoredContainer(meta.handle(), Optional.of(container), Optional.empty()));
            } else {
                String why = state.map(st -> "container " + meta.id() + " is " + st.status())
                        .orElse("container " + meta.id() + " is unknown to " + parts.settings().runtime());
                out.add(new RestoredContainer(meta.handle(), Optional.empty(), Optional.of(why)));
            }
        }
        networker.reconcile(adopted);
        return out;
    }

    @Override
    public Capacity capacity() {
        try {
            FileStore store = Files.getFileStore(parts.settings().depot());
            return new Capacity(ProcFs.memTotalBytes(), store.getTotalSpace(), store.getUsableSpace(), parts.settings().maxContainers());
        } catch (IOException e) {
            throw GardenError.internal("cannot read depot filesystem", e);
        }
    }

    @Override
    public void close() {
        // containers outlive the daemon: only the shared parent group goes, and only if no container uses it
        networker.close();
        parts.cgroups().removeIfEmpty("/" + parts.settings().cgroupParent());
        parts.watcher().close();
        releaseProcessRoot();
        LOG.debug("linux backend closed");
    }
}
