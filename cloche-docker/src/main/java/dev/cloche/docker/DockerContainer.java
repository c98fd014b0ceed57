package dev.cloche.docker;

import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Ports;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * A container on the engine. Its roles: {@link ExecProcesses} (processes as execs), {@link EngineLimits} (limits and
 * metrics), {@link ArchiveStreams} (files); here are the facts (inspect), the network and the lifecycle's end.
 */
final class DockerContainer implements BackendContainer {
    private final ContainerCalls calls;
    private final Engine engine;
    private final DockerSettings settings;
    private final Path state;
    private final ExecProcesses processes;
    private final EngineLimits limits;

    DockerContainer(String handle, String containerId, Engine engine, DockerSettings settings, HostSignals signals,
                    Path state, long nextSequence) {
        this.calls = new ContainerCalls(handle, containerId, engine);
        this.engine = engine;
        this.settings = settings;
        this.state = state;
        this.processes = new ExecProcesses(calls, signals, state, nextSequence);
        this.limits = new EngineLimits(calls, state);
    }

    String containerId() {
        return calls.containerId();
    }

    @Override
    public String handle() {
        return calls.handle();
    }

    // ---- processes

    @Override
    public BackendProcess run(ProcessSpec spec) {
        return processes.run(spec);
    }

    /** A process from before a restart, signalled as any other; its stdin is gone with its connection. */
    DockerProcess restoredProcess(String id, String execId, OutputFile out, OutputFile err, CompletableFuture<Integer> exit) {
        return processes.restored(id, execId, out, err, exit);
    }

    /** Restored processes, in start order: each directory's exec, its output so far, and its status. */
    void restoreProcesses(List<DockerProcess> restored) {
        processes.keep(restored);
    }

    @Override
    public Optional<BackendProcess> process(String processId) {
        return processes.get(processId).map(p -> p);
    }

    @Override
    public List<String> processIds() {
        return processes.ids();
    }

    @Override
    public void stop(boolean kill) {
        calls.call(() -> {
            InspectContainerResponse r = engine.client().inspectContainerCmd(containerId()).exec();
            if (Boolean.TRUE.equals(r.getState().getRunning())) {
                if (kill) engine.client().killContainerCmd(containerId()).exec();
                else engine.client().stopContainerCmd(containerId()).withTimeout(10).exec();
            }
            return null;
        });
        processes.awaitAllEnded();
    }

    // ---- facts, limits, metrics

    @Override
    public BackendInfo info() {
        InspectContainerResponse r = calls.call(() -> engine.client().inspectContainerCmd(containerId()).exec());
        String running = Boolean.TRUE.equals(r.getState().getRunning()) ? "active" : "stopped";
        List<String> events = Boolean.TRUE.equals(r.getState().getOOMKilled()) ? List.of("Out of memory") : List.of();
        String ip = "";
        String gateway = "";
        var networks = r.getNetworkSettings() == null ? null : r.getNetworkSettings().getNetworks();
        if (networks != null) {
            for (ContainerNetwork n : networks.values()) {
                if (n.getIpAddress() != null && !n.getIpAddress().isEmpty()) {
                    ip = n.getIpAddress();
                    gateway = n.getGateway() == null ? "" : n.getGateway();
                    break;
                }
            }
        }
        return new BackendInfo(running, events, gateway, ip, ip.isEmpty() ? "" : settings.externalIp(), state.toString(),
                mappedPorts(r));
    }

    private static List<PortMapping> mappedPorts(InspectContainerResponse r) {
        List<PortMapping> mapped = new ArrayList<>();
        Ports ports = r.getNetworkSettings() == null ? null : r.getNetworkSettings().getPorts();
        if (ports == null) return mapped;
        ports.getBindings().forEach((exposed, bindings) -> {
            if (bindings == null) return;
            for (Ports.Binding b : bindings) {
                if (b.getHostPortSpec() != null && !b.getHostPortSpec().isEmpty()) {
                    PortMapping m = new PortMapping(Integer.parseInt(b.getHostPortSpec()), exposed.getPort());
                    if (!mapped.contains(m)) mapped.add(m);
                }
            }
        });
        return mapped;
    }

    @Override
    public Limits limits() {
        return limits.limits();
    }

    @Override
    public void updateLimits(Limits wanted) {
        limits.update(wanted);
    }

    @Override
    public ContainerMetrics metrics() {
        return limits.metrics();
    }

    // ---- files

    @Override
    public void streamIn(StreamInSpec spec) {
        calls.live();
        if (!spec.user().isEmpty() && !spec.user().equals("root")) throw unsupported("stream-in as user " + spec.user());
        ArchiveStreams.streamIn(engine, containerId(), handle(), spec, state);
    }

    @Override
    public InputStream streamOut(StreamOutSpec spec) {
        calls.live();
        if (!spec.user().isEmpty() && !spec.user().equals("root")) throw unsupported("stream-out as user " + spec.user());
        return ArchiveStreams.streamOut(engine, containerId(), handle(), spec);
    }

    // ---- network

    @Override
    public PortMapping netIn(int hostPort, int containerPort) {
        calls.live();
        throw unsupported("NetIn after create (the engine binds ports only when it creates a container: give them in"
                + " the container spec's net_in)");
    }

    @Override
    public void netOut(List<NetOutRule> rules) {
        calls.live();
        if (!rules.isEmpty()) throw unsupported("NetOut rules (the engine has no per-container egress firewall)");
    }

    // ---- end

    @Override
    public void destroy() {
        if (calls.destroyed()) return;
        try {
            // killed first, so every exec ends with its status (137) while the engine can still report it
            stop(true);
        } catch (ContainerNotFoundException e) {
            // already gone from the engine
        } catch (RuntimeException e) {
            // removal below still ends everything
        }
        try {
            engine.client().removeContainerCmd(containerId()).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException e) {
            // already gone
        } catch (RuntimeException e) {
            throw GardenError.internal("could not remove container " + handle() + " from the engine: " + e.getMessage(), e);
        }
        try {
            deleteTree(state);
        } catch (IOException e) {
            throw GardenError.internal("could not remove " + state + ": " + e.getMessage(), e);
        }
        calls.markDestroyed();
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) return;
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    static InvalidRequestException unsupported(String what) {
        return new InvalidRequestException("not supported by the docker backend: " + what);
    }
}
