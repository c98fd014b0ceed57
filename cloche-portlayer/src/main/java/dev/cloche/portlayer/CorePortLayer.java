package dev.cloche.portlayer;

import static dev.cloche.portlayer.PortLayerProperties.ENTRY_ARGS;
import static dev.cloche.portlayer.PortLayerProperties.ENTRY_DIR;
import static dev.cloche.portlayer.PortLayerProperties.ENTRY_PATH;
import static dev.cloche.portlayer.PortLayerProperties.MAIN_STARTED;
import static dev.cloche.portlayer.PortLayerProperties.PENDING;

import dev.cloche.api.ConflictException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PortLayer;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.ResourceLimits;
import dev.cloche.api.Signal;
import dev.cloche.api.VersionedContainers;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The port layer over the core: Garden calls for the mechanics, {@link VersionedContainers} for all-or-nothing
 * commits with optimistic concurrency. The port layer's own configuration lives in container properties
 * ({@link PortLayerProperties}):
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

    /** Files travel in properties (and over HTTP in one request body): keep one commit's files small. */
    static final int MAX_FILE_BYTES = 512 * 1024;
    private static final int EXEC_RETRIES = 20;

    private final GardenClient garden;
    private final VersionedContainers versions;
    private final PortLayerProcesses processes = new PortLayerProcesses();

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
            if (PortLayerProperties.reserved(k) || k.isEmpty()) {
                throw new InvalidRequestException("property names starting with '" + PortLayerProperties.NS + "' are reserved: " + k);
            }
        }
        for (String k : h.removeProperties()) {
            if (PortLayerProperties.reserved(k)) {
                throw new InvalidRequestException("property names starting with '" + PortLayerProperties.NS + "' are reserved: " + k);
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
            tx.setProperty(ENTRY_ARGS, PortLayerProperties.encodeArgs(ep.args()));
        });
        if (h.memoryLimit().isPresent() || h.cpuShares().isPresent()) {
            tx.updateLimits(old -> old
                    .withMemory(h.memoryLimit().isPresent() ? new MemoryLimits(h.memoryLimit().getAsLong()) : old.memory())
                    .withCpu(h.cpuShares().isPresent() ? new CpuLimits(h.cpuShares().getAsLong(), 0) : old.cpu()));
        }
        RunState current = PortLayerProcesses.mainRunning(c) ? RunState.RUNNING : RunState.STOPPED;
        RunState target = h.runState().orElse(current);
        if (target == RunState.RUNNING) {
            if (current == RunState.STOPPED) {
                for (Map.Entry<String, String> e : new TreeMap<>(tx.properties()).entrySet()) {
                    if (e.getKey().startsWith(PENDING)) {
                        PortLayerFiles.copyIn(tx, c, PortLayerProperties.decodePending(e.getKey().substring(PENDING.length()), e.getValue()));
                        tx.removeProperty(e.getKey());
                    }
                }
            }
            for (FileCopy f : h.files()) {
                PortLayerFiles.copyIn(tx, c, f);
            }
        } else {
            for (FileCopy f : h.files()) {
                tx.setProperty(PENDING + f.path(), PortLayerProperties.pendingValue(f));
            }
        }
        if (current == RunState.RUNNING && target == RunState.STOPPED) {
            PortLayerProcesses.stopAll(c);
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
        spec = new ProcessSpec(spec.id(), spec.path(), PortLayerProperties.decodeArgs(p.getOrDefault(ENTRY_ARGS, "0")), spec.env(),
                spec.dir(), spec.user(), spec.rlimits(), spec.limits(), spec.tty(), spec.image(), spec.bindMounts());
        Process main = c.run(spec, ProcessIO.NONE);
        processes.watch(c.handle(), main);
        tx.setProperty(MAIN_STARTED, Instant.now().toString());
        tx.onRollback(() -> {
            main.signal(Signal.KILL);
            PortLayerProcesses.await(main, PortLayerProcesses.STOP_GRACE);
        });
        main.close();
    }

    @Override
    public void destroyContainer(String id) {
        Container c = garden.lookup(id);
        if (PortLayerProcesses.mainRunning(c)) {
            throw new ConflictException("container " + id + " is running: stop it (commit run state STOPPED) first");
        }
        garden.destroy(id);
        processes.forget(id);
    }

    @Override
    public List<String> containers(Optional<RunState> state) {
        List<String> out = new ArrayList<>();
        for (Container c : garden.containers(Map.of())) {
            try {
                RunState s = PortLayerProcesses.mainRunning(c) ? RunState.RUNNING : RunState.STOPPED;
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
                return PortLayerProperties.config(id, before, path, p, memory, cpu);
            }
        }
    }

    @Override
    public State state(String id) {
        Container c = garden.lookup(id);
        Map<String, String> props = c.properties();
        List<String> ids = c.info().processIds();
        ProcessState main = processes.state(c, MAIN_PROCESS, ids, started(props, MAIN_STARTED));
        List<ProcessState> execs = new ArrayList<>();
        for (String pid : ids) {
            if (!pid.equals(MAIN_PROCESS)) {
                execs.add(processes.state(c, pid, ids, started(props, PortLayerProperties.execKey(pid, "started"))));
            }
        }
        return new State(id, main.status() == ProcessStatus.RUNNING ? RunState.RUNNING : RunState.STOPPED, main, execs);
    }

    private static Optional<Instant> started(Map<String, String> props, String key) {
        return Optional.ofNullable(props.get(key)).flatMap(PortLayerProperties::instant);
    }

    @Override
    public FileContent copyOut(String id, String path) {
        if (!path.startsWith("/")) {
            throw new InvalidRequestException("path must be absolute: " + path);
        }
        return PortLayerFiles.read(garden.lookup(id), path);
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
                    if (!PortLayerProcesses.mainRunning(c)) {
                        throw new ConflictException("container " + id + " is not running");
                    }
                    ProcessSpec spec = new ProcessSpec(pid, ep.path(), ep.args(), List.of(), ep.dir(), "",
                            ResourceLimits.NONE, Optional.empty(), Optional.empty(),
                            ImageRef.NONE, List.of());
                    Process p = c.run(spec, ProcessIO.NONE);
                    processes.watch(id, p);
                    tx.onRollback(() -> p.signal(Signal.KILL));
                    p.close();
                    tx.setProperty(PortLayerProperties.execKey(pid, "dir"), ep.dir());
                    tx.setProperty(PortLayerProperties.execKey(pid, "path"), ep.path());
                    tx.setProperty(PortLayerProperties.execKey(pid, "args"), PortLayerProperties.encodeArgs(ep.args()));
                    tx.setProperty(PortLayerProperties.execKey(pid, "started"), Instant.now().toString());
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
}
