package dev.cloche.linux;

import dev.cloche.api.ConflictException;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.linux.fs.ContainerFiles;
import dev.cloche.linux.fs.RootedXattrs;
import dev.cloche.linux.fs.TarGuard;
import dev.cloche.linux.fs.TarXattrs;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.net.ContainerNet;
import dev.cloche.linux.oci.BundleJson;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.linux.oci.OciProcess;
import dev.cloche.linux.sys.ProcessTable;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProcess;
import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** One runc/crun container with its overlay, cgroups and depot entry {@code <depot>/containers/<id>}. */
final class LinuxContainer implements BackendContainer {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(LinuxContainer.class);
    /** Where process directories were kept before they moved to the process root (restored, never created). */
    static final String LEGACY_PROCESSES = Depot.Entry.LEGACY_PROCESSES;
    private static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private enum State { ACTIVE, STOPPED, DESTROYED }

    private final LinuxBackend.Parts parts;
    private volatile DepotMeta meta;
    private final Depot.Entry entry;
    private final String group;
    private final OciProcessBuilder processBuilder;
    private final ProcessSupervisor processes;
    private final StrayProcesses strays;
    private final AtomicLong helperSeq = new AtomicLong();
    private volatile State state = State.ACTIVE;
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
        if (state == State.DESTROYED) throw new ContainerNotFoundException(meta.handle());
    }

    @Override
    public BackendProcess run(ProcessSpec spec) {
        requireExists();
        if (state == State.STOPPED) throw new ConflictException("container " + meta.handle() + " is stopped");
        if (!spec.bindMounts().isEmpty()) {
            throw new InvalidRequestException("bind mounts are only supported for processes with their own image");
        }
        ContainerFiles files = new ContainerFiles(rootfs());
        ContainerFiles.User user = files.user(spec.user());
        OciProcess process = processBuilder.process(spec, user);
        if (files.resolve(process.cwd()).isEmpty()) {
            createWorkingDir(process.cwd(), user);
        }
        if (files.findExecutable(spec.path(), process.cwd(), OciProcessBuilder.path(process.env())).isEmpty()) {
            throw new ExecutableNotFoundException("exec: \"" + spec.path() + "\": executable file not found in $PATH");
        }
        return processes.start(spec.id(), process);
    }

    /**
     * Guardian creates a missing working directory (e.g. a home that does not exist) owned by the user. It is made
     * inside the container's mount namespace, so symlinks in the path cannot point it at the host.
     */
    private void createWorkingDir(String cwd, ContainerFiles.User user) {
        String tool = BundleRules.TOOL_PATH;
        java.lang.Process child = helper(new ContainerFiles.User("root", 0, 0, "/root"), List.of(tool, "sh", "-c",
                tool + " mkdir -p \"$1\" && " + tool + " chown \"$2\" \"$1\"", "sh", cwd, user.uid() + ":" + user.gid()));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errPump = Thread.ofVirtual().start(() -> drain(child.getErrorStream(), err));
        Thread outPump = Thread.ofVirtual().start(() -> drain(child.getInputStream(), OutputStream.nullOutputStream()));
        try {
            child.getOutputStream().close();
        } catch (IOException e) {
            // stdin unused
        }
        if (waitHelper(child, errPump, outPump) != 0) {
            throw GardenError.internal("cannot create working directory " + cwd + ": " + err.toString(StandardCharsets.UTF_8).strip());
        }
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
        state = State.STOPPED;
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
        try {
            return Long.parseLong(Files.readString(entry.initPid()).strip());
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    @Override
    public BackendInfo info() {
        requireExists();
        String s = state == State.STOPPED ? "stopped" : "active";
        // Garden's event for an OOM kill in the container; the kernel keeps the count in the memory cgroup
        List<String> events = parts.cgroups().oomKills(group) > 0 ? List.of("oom") : List.of();
        ContainerNet n = net;
        return new BackendInfo(s, events, n.hostIp(), n.containerIp(), n.externalIp(), entry.dir().toString(), n.mappedPorts());
    }

    @Override
    public Limits limits() {
        requireExists();
        return meta.limits();
    }

    @Override
    public synchronized void updateLimits(Limits limits) {
        requireExists();
        Limits current = meta.limits();
        if (!limits.bandwidth().equals(current.bandwidth()) || !limits.disk().equals(current.disk())
                || !limits.pid().equals(current.pid())) {
            throw new InvalidRequestException("only memory and cpu limits can change on a live container");
        }
        parts.cgroups().setLimits(group, limits.memory().limitInBytes(), limits.cpu().effectiveShares());
        DepotMeta updated = DepotMeta.of(meta.handle(), meta.id(), meta.privileged(), meta.env(), meta.createdAtMillis(), limits,
                new DepotMeta.ImageSize(meta.imageBytes(), meta.imageInodes()));
        try {
            entry.writeMeta(updated);
        } catch (IOException e) {
            parts.cgroups().setLimits(group, current.memory().limitInBytes(), current.cpu().effectiveShares());
            throw GardenError.internal("cannot record new limits of " + meta.handle() + ": " + e.getMessage(), e);
        }
        meta = updated;
    }

    @Override
    public ContainerMetrics metrics() {
        requireExists();
        Duration age = Duration.ofMillis(Math.max(0, System.currentTimeMillis() - meta.createdAtMillis()));
        Volumizer.Usage written = parts.volumizer(meta.privileged()).usage(entry.volume());
        ContainerMetrics.DiskStat disk = new ContainerMetrics.DiskStat(written.bytes() + meta.imageBytes(),
                written.inodes() + meta.imageInodes(), written.bytes(), written.inodes());
        return new ContainerMetrics(parts.cgroups().memory(group), parts.cgroups().cpu(group),
                disk, net.stats(), parts.cgroups().pidStat(group), age, 0);
    }

    @Override
    public void streamIn(StreamInSpec spec) {
        requireExists();
        ContainerFiles.User user = streamUser(spec.user(), "error streaming in: ");
        String dest = OciProcessBuilder.absolute(spec.path(), user);
        String tool = BundleRules.TOOL_PATH;
        // mkdir and tar run inside the container's mount namespace as the user, so ".." and symlinks cannot
        // escape; TarGuard refuses hostile archives outright instead (docs/files.md)
        try (ContainerTar.Helper tar = streamTar(user, List.of(tool, "sh", "-c",
                tool + " mkdir -p \"$1\" && exec " + tool + " tar -x -f - -C \"$1\"", "sh", dest))) {
            Optional<TarGuard.Summary> fed;
            try (OutputStream in = tar.stdin()) {
                fed = Optional.of(TarGuard.copy(spec.tarStream(), in, meta.privileged()));
            } catch (TarGuard.RejectedException e) {
                tar.kill();
                throw new InvalidRequestException("error streaming in: " + e.getMessage());
            } catch (TarGuard.SinkException e) {
                fed = Optional.empty(); // tar stopped reading: its status and stderr say why
            } catch (IOException e) {
                tar.kill();
                throw GardenError.internal("error streaming in: reading the archive failed: " + e.getMessage(), e);
            }
            int code = tar.await();
            if (code != 0 || fed.isEmpty()) {
                String why = tar.stderr();
                throw GardenError.internal("error streaming in: " + (why.isEmpty() ? "tar exited with status " + code : why));
            }
            restoreXattrs(dest, user, fed.get());
        }
    }

    /**
     * busybox tar drops extended attributes: the {@code user.*} ones from PAX headers are set afterwards, resolved
     * with openat2 under the container's root as its processes see it (docs/files.md §4).
     */
    private void restoreXattrs(String dest, ContainerFiles.User user, TarGuard.Summary summary) {
        if (summary.xattrs().isEmpty()) return;
        Path root = xattrRoot().orElseThrow(() -> GardenError.internal("error streaming in: the container's init is gone"));
        try {
            // uids 1.. map to themselves in both kinds of container; the container's root may set them on any file
            List<String> failed = RootedXattrs.apply(root, dest, summary.xattrs(), user.uid(), user.uid() == 0);
            if (!failed.isEmpty()) {
                throw GardenError.internal("error streaming in: extended attributes not restored: " + String.join("; ", failed));
            }
        } catch (IOException e) {
            throw GardenError.internal("error streaming in: extended attributes not restored: " + e.getMessage(), e);
        }
    }

    /** The user a stream runs as; an unknown user fails with {@code prefix} (Garden clients match on it). */
    private ContainerFiles.User streamUser(String name, String prefix) {
        try {
            return new ContainerFiles(rootfs()).user(name);
        } catch (GardenException e) {
            throw GardenError.of(e.kind(), prefix + e.getMessage());
        }
    }

    private ContainerTar.Helper streamTar(ContainerFiles.User user, List<String> args) {
        if (state == State.DESTROYED) throw new ContainerNotFoundException(meta.handle());
        OciProcess p = processBuilder.command(args, user);
        return new ContainerTar(parts, meta.id(), entry, group, helperSeq).start(p, state == State.STOPPED);
    }

    /** The container's root as its processes see it (with their mounts); the rootfs itself when stopped. */
    private Optional<Path> xattrRoot() {
        if (state == State.STOPPED) return Optional.of(rootfs());
        long init = initPid();
        return init > 0 ? Optional.of(parts.processes().root(init)) : Optional.empty();
    }

    @Override
    public InputStream streamOut(StreamOutSpec spec) {
        requireExists();
        ContainerFiles.User user = streamUser(spec.user(), "error streaming out: ");
        String source = OciProcessBuilder.absolute(spec.path(), user);
        List<String> args = new ArrayList<>(List.of(BundleRules.TOOL_PATH, "tar", "-c", "-f", "-", "-C"));
        String base;
        if (source.endsWith("/")) {
            base = source;
            args.addAll(List.of(source, "."));
        } else {
            Path p = Path.of(source);
            Path parent = p.getParent() == null ? Path.of("/") : p.getParent();
            base = parent.toString();
            args.addAll(List.of(parent.toString(), p.getFileName() == null ? "." : p.getFileName().toString()));
        }
        ContainerTar.Helper tar = streamTar(user, args);
        try {
            tar.stdin().close();
        } catch (IOException e) {
            // stdin unused
        }
        int readAhead = 65536;
        BufferedInputStream out = new BufferedInputStream(tar.stdout(), readAhead);
        try {
            // read ahead: a tar that fails at once (a missing source still yields an end-of-archive marker) or has
            // nothing to send fails the call itself instead of the stream half-way
            out.mark(readAhead);
            int got = out.readNBytes(new byte[readAhead], 0, readAhead);
            if (got < readAhead) {
                int code = tar.await();
                if (code != 0 || got == 0) {
                    String why = code == 0 ? "empty archive" : tar.stderr();
                    tar.close();
                    throw GardenError.internal("error streaming out: " + why);
                }
            }
            out.reset();
        } catch (IOException e) {
            tar.close();
            throw GardenError.internal("error streaming out: " + e.getMessage(), e);
        }
        // busybox tar writes no xattrs: user.* ones are added as PAX headers, read under the container's root
        Optional<RootedXattrs.Reader> attrs = xattrRoot().flatMap(root -> {
            try {
                return Optional.of(RootedXattrs.reader(root));
            } catch (IOException e) {
                LOG.warn("stream-out of {} without xattrs: {}", meta.handle(), e.getMessage());
                return Optional.empty();
            }
        });
        InputStream withAttrs = attrs.<InputStream>map(r -> new TarXattrs(out, name -> r.read(base + "/" + name))).orElse(out);
        return new InputStream() {
            @Override
            public int read() throws IOException {
                int b = withAttrs.read();
                if (b < 0) checkExit();
                return b;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = withAttrs.read(b, off, len);
                if (n < 0) checkExit();
                return n;
            }

            /** A tar that failed half-way must not look like a complete archive. */
            private void checkExit() throws IOException {
                int code = tar.await();
                if (code != 0) throw new IOException("error streaming out: tar failed: " + tar.stderr());
            }

            @Override
            public void close() throws IOException {
                out.close();
                tar.close();
                attrs.ifPresent(RootedXattrs.Reader::close);
            }
        };
    }

    /** Runs a helper (tar) inside the container as {@code user} through the runtime, with piped stdio. */
    private java.lang.Process helper(ContainerFiles.User user, List<String> args) {
        if (state == State.DESTROYED) throw new ContainerNotFoundException(meta.handle());
        OciProcess p = processBuilder.command(args, user);
        try {
            Depot.ExecFiles files = entry.exec(helperSeq.incrementAndGet());
            Files.createDirectories(files.helpers());
            Path json = files.processJson();
            Path pid = files.pid();
            Files.writeString(json, BundleJson.process(p));
            java.lang.Process child = parts.runtime().exec(meta.id(), json, pid);
            // the runtime has read the spec once it exits; until then both files must stay
            child.onExit().thenRun(() -> {
                try {
                    Files.deleteIfExists(json);
                    Files.deleteIfExists(pid);
                } catch (IOException e) {
                    // removed with the depot entry at the latest
                }
            });
            return child;
        } catch (IOException e) {
            throw GardenError.internal("cannot start helper in " + meta.handle(), e);
        }
    }

    private static int waitHelper(java.lang.Process child, Thread... pumps) {
        try {
            int code = child.waitFor();
            for (Thread t : pumps) t.join();
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.destroyForcibly();
            throw GardenError.internal("interrupted while streaming");
        }
    }

    private static void drain(InputStream in, OutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            // the helper ended
        }
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
        state = State.DESTROYED;
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
