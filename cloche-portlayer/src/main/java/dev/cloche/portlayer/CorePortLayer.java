package dev.cloche.portlayer;

import dev.cloche.api.ConflictException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PortLayer;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.api.VersionedContainers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The port layer over the core: Garden calls for the mechanics, {@link VersionedContainers} for all-or-nothing
 * commits with optimistic concurrency. The port layer's own configuration lives in container properties under
 * {@value #NS} (so it is versioned, persisted and restored with the container, and Garden clients see it):
 * <ul>
 *   <li>{@code portlayer.entry.dir}, {@code .path}, {@code .args}: the main process's entry point</li>
 *   <li>{@code portlayer.pending./abs/path}: {@code <octal mode> <base64>}, a file waiting for the next start</li>
 *   <li>{@code portlayer.main.started}, {@code portlayer.exec.<id>.dir|path|args|started}: processes</li>
 * </ul>
 * A commit applies, in this order: properties and entry point (staged, land with the version), limits (live),
 * files (copied, or kept pending), the run state (stop, or start the main process). Each side effect registers its
 * undo, so a failure anywhere leaves the container as it was.
 */
public final class CorePortLayer implements PortLayer {
    private static final Logger log = LoggerFactory.getLogger(CorePortLayer.class);

    static final String NS = "portlayer.";
    static final String ENTRY_DIR = NS + "entry.dir";
    static final String ENTRY_PATH = NS + "entry.path";
    static final String ENTRY_ARGS = NS + "entry.args";
    static final String PENDING = NS + "pending.";
    static final String MAIN_STARTED = NS + "main.started";
    static final String EXEC = NS + "exec.";
    /** Files travel in properties (and over HTTP in one request body): keep one commit's files small. */
    static final int MAX_FILE_BYTES = 512 * 1024;
    /** Stop: TERM, then KILL after this long (Garden's stop grace). */
    static final Duration STOP_GRACE = Duration.ofSeconds(10);
    private static final int EXEC_RETRIES = 20;

    private final GardenClient garden;
    private final VersionedContainers versions;
    /** When this daemon saw a process exit, by {@code container/process}; not persisted. */
    private final ConcurrentMap<String, Instant> finished = new ConcurrentHashMap<>();

    public CorePortLayer(GardenClient garden, VersionedContainers versions) {
        this.garden = garden;
        this.versions = versions;
    }

    @Override
    public Handle createContainer(String name) {
        if (!name.isEmpty()) {
            try {
                garden.lookup(name);
                throw GardenError.of(GardenException.Kind.ALREADY_EXISTS, "Handle '" + name + "' already in use");
            } catch (ContainerNotFoundException free) {
                // as expected
            }
        }
        return Handle.of(name.isEmpty() ? UUID.randomUUID().toString() : name, 0);
    }

    @Override
    public Handle getHandle(String id) {
        return Handle.of(id, versions.version(id));
    }

    @Override
    public Committed commit(Handle h) {
        validate(h);
        if (!h.isNew()) {
            long v = versions.commit(h.id(), h.version(), tx -> apply(tx, h));
            log.info("port layer commit id={} version={}", h.id(), v);
            return new Committed(h.id(), v);
        }
        // create, then commit the staged changes onto version 1; a failure removes the container again
        Container c = garden.create(ContainerSpec.withHandle(h.id()));
        try {
            long v = versions.commit(h.id(), versions.version(h.id()), tx -> apply(tx, h));
            log.info("port layer created id={} version={}", h.id(), v);
            return new Committed(h.id(), v);
        } catch (RuntimeException e) {
            try {
                c.destroy();
            } catch (RuntimeException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
    }

    private static void validate(Handle h) {
        for (String k : h.setProperties().keySet()) {
            if (k.startsWith(NS) || k.isEmpty()) {
                throw new InvalidRequestException("property names starting with '" + NS + "' are reserved: " + k);
            }
        }
        for (String k : h.removeProperties()) {
            if (k.startsWith(NS)) {
                throw new InvalidRequestException("property names starting with '" + NS + "' are reserved: " + k);
            }
        }
        long bytes = h.files().stream().mapToLong(f -> f.content().length).sum();
        if (bytes > MAX_FILE_BYTES) {
            throw new InvalidRequestException("files of one commit must not exceed " + MAX_FILE_BYTES + " bytes, got " + bytes);
        }
    }

    /** One commit's work, under the core's configuration lock. */
    private void apply(VersionedContainers.ConfigTransaction tx, Handle h) {
        Container c = tx.container();
        h.setProperties().forEach(tx::setProperty);
        h.removeProperties().forEach(tx::removeProperty);
        h.entryPoint().ifPresent(ep -> {
            tx.setProperty(ENTRY_DIR, ep.dir());
            tx.setProperty(ENTRY_PATH, ep.path());
            tx.setProperty(ENTRY_ARGS, encodeArgs(ep.args()));
        });
        if (h.memoryLimit().isPresent() || h.cpuShares().isPresent()) {
            tx.updateLimits(old -> old
                    .withMemory(h.memoryLimit().isPresent() ? new MemoryLimits(h.memoryLimit().getAsLong()) : old.memory())
                    .withCpu(h.cpuShares().isPresent() ? new CpuLimits(h.cpuShares().getAsLong(), 0) : old.cpu()));
        }
        RunState current = mainRunning(c) ? RunState.RUNNING : RunState.STOPPED;
        RunState target = h.runState().orElse(current);
        if (target == RunState.RUNNING) {
            if (current == RunState.STOPPED) {
                for (Map.Entry<String, String> e : new TreeMap<>(tx.properties()).entrySet()) {
                    if (e.getKey().startsWith(PENDING)) {
                        copyIn(tx, c, decodePending(e.getKey().substring(PENDING.length()), e.getValue()));
                        tx.removeProperty(e.getKey());
                    }
                }
            }
            for (FileCopy f : h.files()) {
                copyIn(tx, c, f);
            }
        } else {
            for (FileCopy f : h.files()) {
                tx.setProperty(PENDING + f.path(), Integer.toOctalString(f.mode()) + " "
                        + Base64.getEncoder().encodeToString(f.content()));
            }
        }
        if (current == RunState.RUNNING && target == RunState.STOPPED) {
            stopAll(c);
        } else if (current == RunState.STOPPED && target == RunState.RUNNING) {
            startMain(tx, c);
        }
    }

    private void startMain(VersionedContainers.ConfigTransaction tx, Container c) {
        Map<String, String> p = tx.properties();
        String path = p.getOrDefault(ENTRY_PATH, "");
        if (path.isEmpty()) {
            throw new InvalidRequestException("container " + c.handle() + " has no entry point: stage one before starting it");
        }
        ProcessSpec spec = ProcessSpec.of(path).withId(MAIN_PROCESS).withDir(p.getOrDefault(ENTRY_DIR, ""));
        spec = new ProcessSpec(spec.id(), spec.path(), decodeArgs(p.getOrDefault(ENTRY_ARGS, "0")), spec.env(),
                spec.dir(), spec.user(), spec.rlimits(), spec.limits(), spec.tty(), spec.image(), spec.bindMounts());
        Process main = c.run(spec, ProcessIO.NONE);
        watch(c.handle(), main);
        tx.setProperty(MAIN_STARTED, Instant.now().toString());
        tx.onRollback(() -> {
            main.signal(Signal.KILL);
            await(main, STOP_GRACE);
        });
        main.close();
    }

    /** Records when the process exits (for its state), then detaches: the process keeps running. */
    private void watch(String container, Process p) {
        String key = container + "/" + p.id();
        finished.remove(key);
        p.onExit().whenComplete((code, e) -> finished.put(key, Instant.now()));
    }

    /** TERM every running process of the container, KILL what is left after the grace period. */
    private static void stopAll(Container c) {
        List<Process> running = new ArrayList<>();
        for (String id : c.info().processIds()) {
            try {
                Process p = c.attach(id, ProcessIO.NONE);
                if (p.onExit().isDone()) {
                    p.close();
                } else {
                    running.add(p);
                }
            } catch (ProcessNotFoundException gone) {
                // reaped in between
            }
        }
        try {
            running.forEach(p -> p.signal(Signal.TERMINATE));
            long deadline = System.nanoTime() + STOP_GRACE.toNanos();
            for (Process p : running) {
                if (!await(p, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())))) {
                    p.signal(Signal.KILL);
                    if (!await(p, STOP_GRACE)) {
                        throw GardenError.internal("process " + p.id() + " of " + c.handle() + " survived SIGKILL");
                    }
                }
            }
        } finally {
            running.forEach(Process::close);
        }
    }

    private static boolean await(Process p, Duration timeout) {
        try {
            p.onExit().get(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (ExecutionException e) {
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw GardenError.internal("interrupted while waiting for process " + p.id());
        }
    }

    /** Copies a file in; the undo restores the old file, or removes the new one if there was none. */
    private static void copyIn(VersionedContainers.ConfigTransaction tx, Container c, FileCopy f) {
        Optional<FileContent> old = tryCopyOut(c, f.path());
        write(c, f.path(), f.mode(), f.content());
        tx.onRollback(() -> {
            if (old.isPresent()) {
                write(c, f.path(), old.get().mode(), old.get().content());
            } else {
                try (Process rm = c.run(ProcessSpec.of("rm", "-f", f.path()), ProcessIO.NONE)) {
                    if (!await(rm, STOP_GRACE) || rm.onExit().join() != 0) {
                        throw GardenError.internal("cannot remove " + f.path() + " from " + c.handle());
                    }
                }
            }
        });
    }

    private static void write(Container c, String path, int mode, byte[] content) {
        byte[] tar = Tar.write(path.substring(1), mode, content);
        c.streamIn(new StreamInSpec("/", "", new ByteArrayInputStream(tar)));
    }

    private static Optional<FileContent> tryCopyOut(Container c, String path) {
        try {
            return Optional.of(readFile(c, path));
        } catch (RuntimeException absent) {
            return Optional.empty();
        }
    }

    private static FileContent readFile(Container c, String path) {
        try (InputStream in = c.streamOut(new StreamOutSpec(path, ""))) {
            Tar.File f = Tar.firstFile(in).orElseThrow(() -> new InvalidRequestException("not a regular file: " + path));
            return new FileContent(path, f.mode(), f.content());
        } catch (IOException e) {
            throw GardenError.internal("cannot copy " + path + " out of " + c.handle() + ": " + e.getMessage(), e);
        }
    }

    private static boolean mainRunning(Container c) {
        if (!c.info().processIds().contains(MAIN_PROCESS)) {
            return false;
        }
        try (Process p = c.attach(MAIN_PROCESS, ProcessIO.NONE)) {
            return !p.onExit().isDone();
        } catch (ProcessNotFoundException gone) {
            return false;
        }
    }

    @Override
    public void destroyContainer(String id) {
        Container c = garden.lookup(id);
        if (mainRunning(c)) {
            throw new ConflictException("container " + id + " is running: stop it (commit run state STOPPED) first");
        }
        garden.destroy(id);
        finished.keySet().removeIf(k -> k.startsWith(id + "/"));
    }

    @Override
    public List<String> containers(Optional<RunState> state) {
        List<String> out = new ArrayList<>();
        for (Container c : garden.containers(Map.of())) {
            try {
                RunState s = mainRunning(c) ? RunState.RUNNING : RunState.STOPPED;
                if (state.isEmpty() || state.get() == s) {
                    out.add(c.handle());
                }
            } catch (GardenException gone) {
                // destroyed meanwhile, or broken: not listed by state
            }
        }
        out.sort(null);
        return out;
    }

    @Override
    public Config config(String id) {
        Container c = garden.lookup(id);
        // version and properties are read separately: retry until no change landed in between
        for (int attempt = 0; ; attempt++) {
            long before = versions.version(id);
            Map<String, String> p = c.properties();
            String path = c.info().containerPath();
            long memory = c.currentMemoryLimits().limitInBytes();
            long cpu = c.currentCpuLimits().effectiveShares();
            if (versions.version(id) == before || attempt >= 10) {
                return config(id, before, path, p, memory, cpu);
            }
        }
    }

    private static Config config(String id, long version, String containerPath, Map<String, String> p, long memory, long cpu) {
        Optional<EntryPoint> entry = p.containsKey(ENTRY_PATH) && !p.get(ENTRY_PATH).isEmpty()
                ? Optional.of(new EntryPoint(p.getOrDefault(ENTRY_DIR, ""), p.get(ENTRY_PATH), decodeArgs(p.getOrDefault(ENTRY_ARGS, "0"))))
                : Optional.empty();
        Map<String, String> user = new TreeMap<>();
        List<String> pending = new ArrayList<>();
        Map<String, Map<String, String>> execs = new TreeMap<>();
        p.forEach((k, v) -> {
            if (!k.startsWith(NS)) {
                user.put(k, v);
            } else if (k.startsWith(PENDING)) {
                pending.add(k.substring(PENDING.length()));
            } else if (k.startsWith(EXEC)) {
                String rest = k.substring(EXEC.length());
                int dot = rest.lastIndexOf('.');
                if (dot > 0) {
                    execs.computeIfAbsent(rest.substring(0, dot), x -> new TreeMap<>()).put(rest.substring(dot + 1), v);
                }
            }
        });
        pending.sort(null);
        List<ExecConfig> execConfigs = new ArrayList<>();
        execs.forEach((pid, f) -> {
            if (f.containsKey("path")) {
                execConfigs.add(new ExecConfig(pid, new EntryPoint(f.getOrDefault("dir", ""), f.get("path"),
                        decodeArgs(f.getOrDefault("args", "0")))));
            }
        });
        return new Config(id, version, containerPath, entry, memory, cpu, user, pending, execConfigs);
    }

    @Override
    public State state(String id) {
        Container c = garden.lookup(id);
        Map<String, String> props = c.properties();
        List<String> ids = c.info().processIds();
        ProcessState main = processState(c, MAIN_PROCESS, ids, Optional.ofNullable(props.get(MAIN_STARTED)));
        List<ProcessState> execs = new ArrayList<>();
        for (String pid : ids) {
            if (!pid.equals(MAIN_PROCESS)) {
                execs.add(processState(c, pid, ids, Optional.ofNullable(props.get(EXEC + pid + ".started"))));
            }
        }
        return new State(id, main.status() == ProcessStatus.RUNNING ? RunState.RUNNING : RunState.STOPPED, main, execs);
    }

    private ProcessState processState(Container c, String pid, List<String> ids, Optional<String> startedProp) {
        Optional<Instant> started = startedProp.flatMap(CorePortLayer::instant);
        if (!ids.contains(pid)) {
            return new ProcessState(pid, ProcessStatus.NOT_STARTED, OptionalLong.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty());
        }
        try (Process p = c.attach(pid, ProcessIO.NONE)) {
            Integer code = p.onExit().getNow(null);
            if (code == null) {
                return new ProcessState(pid, ProcessStatus.RUNNING, OptionalLong.empty(), OptionalInt.empty(), started, Optional.empty());
            }
            // seen exiting by this daemon, or it exited before we started watching (then: now is all we know)
            Instant end = finished.computeIfAbsent(c.handle() + "/" + pid, k -> Instant.now());
            return new ProcessState(pid, ProcessStatus.EXITED, OptionalLong.empty(), OptionalInt.of(code), started, Optional.of(end));
        } catch (ProcessNotFoundException gone) {
            return new ProcessState(pid, ProcessStatus.NOT_STARTED, OptionalLong.empty(), OptionalInt.empty(), Optional.empty(), Optional.empty());
        }
    }

    @Override
    public FileContent copyOut(String id, String path) {
        if (!path.startsWith("/")) {
            throw new InvalidRequestException("path must be absolute: " + path);
        }
        return readFile(garden.lookup(id), path);
    }

    @Override
    public String execProcess(String id, String dir, String path, List<String> args) {
        EntryPoint ep = new EntryPoint(dir, path, args);
        String pid = UUID.randomUUID().toString();
        // an exec is recorded in the configuration (a commit of its own); a concurrent change is simply retried
        for (int attempt = 0; ; attempt++) {
            long v = versions.version(id);
            try {
                versions.commit(id, v, tx -> {
                    Container c = tx.container();
                    if (!mainRunning(c)) {
                        throw new ConflictException("container " + id + " is not running");
                    }
                    ProcessSpec spec = new ProcessSpec(pid, ep.path(), ep.args(), List.of(), ep.dir(), "",
                            dev.cloche.api.ResourceLimits.NONE, Optional.empty(), Optional.empty(),
                            dev.cloche.api.ImageRef.NONE, List.of());
                    Process p = c.run(spec, ProcessIO.NONE);
                    watch(id, p);
                    tx.onRollback(() -> p.signal(Signal.KILL));
                    p.close();
                    tx.setProperty(EXEC + pid + ".dir", ep.dir());
                    tx.setProperty(EXEC + pid + ".path", ep.path());
                    tx.setProperty(EXEC + pid + ".args", encodeArgs(ep.args()));
                    tx.setProperty(EXEC + pid + ".started", Instant.now().toString());
                });
                return pid;
            } catch (ConflictException e) {
                if (attempt >= EXEC_RETRIES || !e.getMessage().startsWith("version conflict")) {
                    throw e;
                }
            }
        }
    }

    @Override
    public void signal(String processId, Signal signal) {
        Optional<Container> owner = Optional.empty();
        String pid = processId;
        try {
            owner = Optional.of(garden.lookup(processId));
            pid = MAIN_PROCESS;
        } catch (ContainerNotFoundException notAContainer) {
            for (Container c : garden.containers(Map.of())) {
                try {
                    if (c.info().processIds().contains(processId)) {
                        owner = Optional.of(c);
                        break;
                    }
                } catch (GardenException gone) {
                    // destroyed meanwhile
                }
            }
        }
        Container c = owner.orElseThrow(() -> new ProcessNotFoundException(processId));
        try (Process p = c.attach(pid, ProcessIO.NONE)) {
            p.signal(signal);
        }
    }

    /** {@code <count>( <url-encoded arg>)*}: keeps empty arguments and any character, in one property value. */
    static String encodeArgs(List<String> args) {
        StringBuilder sb = new StringBuilder().append(args.size());
        for (String a : args) {
            sb.append(' ').append(URLEncoder.encode(a, StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    static List<String> decodeArgs(String s) {
        String[] parts = s.split(" ", -1);
        int n = Integer.parseInt(parts[0]);
        List<String> out = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            out.add(URLDecoder.decode(parts[i], StandardCharsets.UTF_8));
        }
        return out;
    }

    private static FileCopy decodePending(String path, String value) {
        int sp = value.indexOf(' ');
        return new FileCopy(path, Integer.parseInt(value.substring(0, sp), 8), Base64.getDecoder().decode(value.substring(sp + 1)));
    }

    private static Optional<Instant> instant(String s) {
        try {
            return Optional.of(Instant.parse(s));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
