package dev.cloche.docker;

import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.AccessMode;
import com.github.dockerjava.api.model.Bind;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Ports;
import com.github.dockerjava.api.model.Volume;
import dev.cloche.api.BindMount;
import dev.cloche.api.Capacity;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.Limits;
import dev.cloche.api.PortMapping;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Containers on a Docker-API engine. Each is labelled with this daemon's owner and its handle, so a restarted
 * daemon finds its own and only its own; process output and statuses live in the state directory.
 */
public final class DockerBackend implements ContainerBackend {
    private static final Logger LOG = LoggerFactory.getLogger(DockerBackend.class);
    static final String OWNER_LABEL = "dev.cloche.owner";
    static final String HANDLE_LABEL = "dev.cloche.handle";
    static final int HOSTNAME_MAX = 49;

    private final DockerSettings settings;
    private final Engine engine;
    private final EngineImages images;
    private final HostSignals signals;

    private DockerBackend(DockerSettings settings, Engine engine, HostSignals signals) {
        this.settings = settings;
        this.engine = engine;
        this.signals = signals;
        this.images = new EngineImages(engine, settings.state());
    }

    static DockerBackend open(DockerSettings settings, HostSignals signals) {
        try {
            Files.createDirectories(settings.state());
        } catch (IOException e) {
            throw GardenError.internal("could not make the docker backend's state directory " + settings.state(), e);
        }
        Engine engine = new Engine(settings.host());
        try {
            engine.ping();
        } catch (RuntimeException e) {
            engine.close();
            throw e;
        }
        return new DockerBackend(settings, engine, signals);
    }

    @Override
    public BackendContainer create(BackendSpec backendSpec) {
        ContainerSpec spec = backendSpec.spec();
        Limits limits = spec.limits();
        if (!limits.bandwidth().equals(dev.cloche.api.BandwidthLimits.NONE)) throw DockerContainer.unsupported("bandwidth limits");
        if (!limits.disk().equals(dev.cloche.api.DiskLimits.NONE)) {
            throw DockerContainer.unsupported("disk limits (the storage driver here sets no size per container)");
        }
        if (!spec.network().isEmpty()) throw DockerContainer.unsupported("choosing the container's network (" + spec.network() + ")");
        if (!spec.netOut().isEmpty()) throw DockerContainer.unsupported("NetOut rules (the engine has no per-container egress firewall)");
        String image = images.resolve(spec.imageUri(), settings.defaultRootfs());
        Path state = stateOf(spec.handle());
        String id = null;
        try {
            DockerContainer.deleteTree(state);
            Files.createDirectories(state);
            Files.writeString(state.resolve("handle"), spec.handle());
            EngineLimits.recordCpuForm(state, limits.cpu());
            id = createContainer(spec, image).exec().getId();
            engine.client().startContainerCmd(id).exec();
            return new DockerContainer(spec.handle(), id, engine, settings, signals, state, 0);
        } catch (IOException | RuntimeException e) {
            undo(id, state, e);
            if (e instanceof GardenException g) throw g;
            throw GardenError.internal("the engine could not create " + spec.handle() + ": " + e.getMessage(), e);
        }
    }

    private CreateContainerCmd createContainer(ContainerSpec spec, String image) {
        Limits limits = spec.limits();
        HostConfig host = HostConfig.newHostConfig().withInit(true).withPrivileged(spec.privileged());
        if (limits.memory().limitInBytes() > 0) {
            host.withMemory(limits.memory().limitInBytes()).withMemorySwap(limits.memory().limitInBytes());
        }
        if (limits.cpu().effectiveShares() > 0) host.withCpuShares((int) limits.cpu().effectiveShares());
        // -1 is no limit: without it podman applies its default (2048), which nobody asked for
        host.withPidsLimit(limits.pid().max() > 0 ? limits.pid().max() : -1L);
        List<Bind> binds = new ArrayList<>();
        for (BindMount b : spec.bindMounts()) {
            if (b.origin() == BindMount.Origin.CONTAINER) throw DockerContainer.unsupported("bind mounts from inside the container");
            binds.add(new Bind(b.srcPath(), new Volume(b.dstPath()), b.mode() == BindMount.Mode.RO ? AccessMode.ro : AccessMode.rw));
        }
        if (!binds.isEmpty()) host.withBinds(binds);
        List<ExposedPort> exposed = new ArrayList<>();
        Ports ports = new Ports();
        for (PortMapping m : spec.netIn()) {
            ExposedPort p = ExposedPort.tcp(m.containerPort());
            exposed.add(p);
            ports.bind(p, m.hostPort() == 0 ? Ports.Binding.bindIp(settings.externalIp())
                    : Ports.Binding.bindIpAndPort(settings.externalIp(), m.hostPort()));
        }
        if (!exposed.isEmpty()) host.withPortBindings(ports);
        CreateContainerCmd create = engine.client().createContainerCmd(image).withCmd(settings.keepAlive()).withEnv(spec.env())
                .withLabels(Map.of(OWNER_LABEL, settings.owner(), HANDLE_LABEL, spec.handle()))
                .withExposedPorts(exposed).withHostConfig(host);
        hostname(spec.handle()).ifPresent(create::withHostName);
        return create;
    }

    /**
     * The handle as the hostname, as on the Linux backend (its last 49 characters), where it is a valid hostname: a
     * handle may hold any character but {@code /}, and an engine may refuse the odd ones, so those keep the engine's.
     */
    static java.util.Optional<String> hostname(String handle) {
        String name = handle.length() > HOSTNAME_MAX ? handle.substring(handle.length() - HOSTNAME_MAX) : handle;
        return name.matches("[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?") ? java.util.Optional.of(name) : java.util.Optional.empty();
    }

    private void undo(String id, Path state, Exception cause) {
        if (id != null) {
            try {
                engine.client().removeContainerCmd(id).withForce(true).withRemoveVolumes(true).exec();
            } catch (NotFoundException e) {
                // never made it
            } catch (RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
        try {
            DockerContainer.deleteTree(state);
        } catch (IOException e) {
            cause.addSuppressed(e);
        }
    }

    /** One directory per handle, named by its digest: a handle may hold any character but {@code /}. */
    private Path stateOf(String handle) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(handle.getBytes(StandardCharsets.UTF_8));
            return settings.state().resolve("containers").resolve(HexFormat.of().formatHex(d, 0, 16));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public List<RestoredContainer> restore() {
        List<Container> mine = engine.client().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(OWNER_LABEL, settings.owner())).exec();
        List<RestoredContainer> restored = new ArrayList<>();
        for (Container c : mine) {
            String handle = c.getLabels().get(HANDLE_LABEL);
            if (handle == null) continue;
            Path state = stateOf(handle);
            try {
                List<Path> dirs = processDirs(state);
                long next = dirs.isEmpty() ? 0 : Long.parseLong(dirs.getLast().getFileName().toString()) + 1;
                DockerContainer container = new DockerContainer(handle, c.getId(), engine, settings, signals, state, next);
                List<DockerProcess> processes = new ArrayList<>();
                for (Path dir : dirs) processes.add(restoreProcess(container, dir));
                container.restoreProcesses(processes);
                restored.add(new RestoredContainer(handle, java.util.Optional.of(container), java.util.Optional.empty()));
            } catch (IOException | RuntimeException e) {
                LOG.warn("container {} ({}) could not be restored: {}", handle, c.getId(), e.toString());
                restored.add(new RestoredContainer(handle, java.util.Optional.empty(), java.util.Optional.of(
                        "could not restore from " + state + ": " + e.getMessage())));
            }
        }
        return restored;
    }

    private static List<Path> processDirs(Path state) throws IOException {
        if (!Files.isDirectory(state)) return List.of();
        try (Stream<Path> s = Files.list(state)) {
            return s.filter(p -> p.getFileName().toString().matches("\\d+") && Files.isDirectory(p))
                    .sorted(java.util.Comparator.comparingLong(p -> Long.parseLong(p.getFileName().toString()))).toList();
        }
    }

    /**
     * A process from before the restart. Its output is what was captured until then: the engine cannot reattach to
     * an exec, so one still running is followed only for its exit (polled) and its stdin is refused.
     */
    private DockerProcess restoreProcess(DockerContainer container, Path dir) throws IOException {
        String id = Files.readString(dir.resolve("id"));
        String execId = Files.readString(dir.resolve("exec")).strip();
        OutputFile out = OutputFile.ended(dir.resolve("stdout"));
        OutputFile err = OutputFile.ended(dir.resolve("stderr"));
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        Path exitFile = dir.resolve("exit");
        if (Files.exists(exitFile)) {
            exit.complete(Integer.parseInt(Files.readString(exitFile).strip()));
        } else {
            Thread.ofVirtual().name("restored-exec-" + id).start(() -> {
                int code = pollExit(execId);
                try {
                    Files.writeString(exitFile, Integer.toString(code));
                } catch (IOException e) {
                    LOG.warn("could not record the exit status of {}: {}", id, e.toString());
                }
                exit.complete(code);
            });
        }
        return container.restoredProcess(id, execId, out, err, exit);
    }

    private int pollExit(String execId) {
        while (true) {
            try {
                InspectExecResponse r = engine.client().inspectExecCmd(execId).exec();
                if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) return r.getExitCodeLong().intValue();
            } catch (NotFoundException e) {
                return 255;
            } catch (RuntimeException e) {
                LOG.debug("exec {} inspect failed, retrying: {}", execId, e.toString());
            }
            try {
                Thread.sleep(250);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 255;
            }
        }
    }

    @Override
    public Capacity capacity() {
        var info = engine.client().infoCmd().exec();
        long memory = info.getMemTotal() == null ? 0 : info.getMemTotal();
        return new Capacity(memory, 0, 0, settings.maxContainers());
    }

    @Override
    public void close() {
        engine.close();
    }
}
