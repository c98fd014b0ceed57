package dev.cloche.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.github.dockerjava.api.command.InspectContainerResponse;
import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.ContainerNetwork;
import com.github.dockerjava.api.model.Ports;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PidLimits;
import dev.cloche.api.PortMapping;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.ResourceLimits;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.api.TtySpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A container on the engine: processes are execs, files go through the archive API, limits through HostConfig and
 * update, metrics from stats and facts from inspect. The process directories ({@code <state>/<n>/}: {@code id},
 * {@code exec}, {@code stdout}, {@code stderr}, {@code exit}) keep what the engine forgets or cannot replay.
 */
final class DockerContainer implements BackendContainer {
    private final String handle;
    private final String containerId;
    private final Engine engine;
    private final DockerSettings settings;
    private final HostSignals signals;
    private final Path state;
    private final Map<String, DockerProcess> processes = new LinkedHashMap<>();
    private final AtomicLong sequence;
    private volatile boolean destroyed;

    DockerContainer(String handle, String containerId, Engine engine, DockerSettings settings, HostSignals signals,
                    Path state, long nextSequence) {
        this.handle = handle;
        this.containerId = containerId;
        this.engine = engine;
        this.settings = settings;
        this.signals = signals;
        this.state = state;
        this.sequence = new AtomicLong(nextSequence);
    }

    String containerId() {
        return containerId;
    }

    @Override
    public String handle() {
        return handle;
    }

    private void live() {
        if (destroyed) throw new ContainerNotFoundException(handle);
    }

    /** An engine call on this container; a container the engine no longer has is Garden's unknown handle. */
    private <T> T call(java.util.function.Supplier<T> call) {
        live();
        try {
            return call.get();
        } catch (NotFoundException e) {
            throw new ContainerNotFoundException(handle);
        }
    }

    // ---- processes

    @Override
    public BackendProcess run(ProcessSpec spec) {
        live();
        if (!spec.rlimits().equals(ResourceLimits.NONE)) throw unsupported("per-process rlimits");
        if (spec.limits().isPresent()) throw unsupported("per-process cpu and memory limits");
        String executable = findExecutable(spec);
        boolean tty = spec.tty().isPresent();
        List<String> cmd = new ArrayList<>();
        Optional<TtySpec.WindowSize> window = spec.tty().flatMap(TtySpec::windowSize).or(() -> tty
                ? Optional.of(new TtySpec.WindowSize(80, 24)) : Optional.empty());
        if (window.isPresent()) {
            // API 1.41 has no console size at exec start, and a resize only reaches a running exec: the window is
            // set by the shell before the program starts, so a program that reads it at once sees the right one
            cmd.addAll(List.of("/bin/sh", "-c", "stty rows " + window.get().rows() + " cols " + window.get().columns()
                    + " 2>/dev/null; exec \"$0\" \"$@\""));
        }
        cmd.add(executable);
        cmd.addAll(spec.args());
        var create = engine.client().execCreateCmd(containerId).withCmd(cmd.toArray(String[]::new))
                .withAttachStdin(true).withAttachStdout(true).withAttachStderr(true).withTty(tty)
                .withEnv(spec.env());
        if (!spec.dir().isEmpty()) create.withWorkingDir(spec.dir());
        if (!spec.user().isEmpty()) create.withUser(spec.user());
        String execId = call(create::exec).getId();
        Path dir = state.resolve(Long.toString(sequence.getAndIncrement()));
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("id"), spec.id());
            Files.writeString(dir.resolve("exec"), execId);
            OutputFile out = OutputFile.create(dir.resolve("stdout"));
            OutputFile err = OutputFile.create(dir.resolve("stderr"));
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            OutputStream stdin = ExecSession.start(engine, execId, tty, dir, out, err, exit, () -> exitCode(execId));
            if (tty) err.end();
            awaitStarted(execId, exit);
            DockerProcess p = new DockerProcess(spec.id(), execId, out, err, stdin, exit, control());
            synchronized (processes) {
                processes.remove(spec.id());
                processes.put(spec.id(), p);
            }
            return p;
        } catch (IOException e) {
            throw GardenError.internal("could not keep process " + spec.id() + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The path the exec will run, checked in the container first: the engine reports a missing one only as output. */
    private String findExecutable(ProcessSpec spec) {
        String path = spec.path();
        if (path.contains("/")) {
            String absolute = path.startsWith("/") ? path : (spec.dir().isEmpty() ? "/" : spec.dir()) + "/" + path;
            if (call(() -> engine.exists(containerId, absolute))) return path;
            throw new ExecutableNotFoundException("executable not found in the container: " + path);
        }
        for (String dir : searchPath(spec)) {
            String candidate = dir + "/" + path;
            if (call(() -> engine.exists(containerId, candidate))) return path;
        }
        throw new ExecutableNotFoundException("executable not found in $PATH of the container: " + path);
    }

    private List<String> searchPath(ProcessSpec spec) {
        Stream<String> env = Stream.concat(spec.env().stream(), Stream.ofNullable(containerEnv()).flatMap(List::stream));
        String value = env.filter(e -> e.startsWith("PATH=")).findFirst().map(e -> e.substring(5))
                .orElse("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        return Stream.of(value.split(":")).filter(d -> !d.isEmpty()).toList();
    }

    private List<String> containerEnv() {
        String[] env = call(() -> engine.client().inspectContainerCmd(containerId).exec()).getConfig().getEnv();
        return env == null ? List.of() : List.of(env);
    }

    /**
     * Returns once the engine reports the exec's pid (or its exit), as the Linux backend returns once the process
     * started: a signal or a stop right after run then reaches the program, not a start still in progress.
     */
    private void awaitStarted(String execId, CompletableFuture<Integer> exit) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!exit.isDone() && System.nanoTime() < deadline) {
            InspectExecResponse r = call(() -> engine.client().inspectExecCmd(execId).exec());
            if (r.getPidLong() != null && r.getPidLong() > 0) return;
            if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) return;
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private long exitCode(String execId) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                InspectExecResponse r = engine.client().inspectExecCmd(execId).exec();
                if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) return r.getExitCodeLong();
            } catch (NotFoundException e) {
                return 255; // the container went away with the exec: its status is unknowable
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) return 255;
            }
            if (System.nanoTime() > deadline) return 255;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 255;
            }
        }
    }

    private DockerProcess.ProcessControl control() {
        return new DockerProcess.ProcessControl() {
            @Override
            public void signal(String execId, Signal signal) {
                if (!engine.local()) throw unsupported("signals on a remote engine (they go to the exec's host pid)");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (true) {
                    InspectExecResponse r;
                    try {
                        r = engine.client().inspectExecCmd(execId).exec();
                    } catch (NotFoundException e) {
                        return; // gone with its container
                    }
                    if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) return;
                    Long pid = r.getPidLong();
                    if (pid != null && pid > 0) {
                        long started = signals.startTime(pid);
                        if (started >= 0) signals.signal(pid, started, signal == Signal.KILL);
                        return;
                    }
                    if (System.nanoTime() > deadline) throw GardenError.internal("exec " + execId + " has no pid to signal");
                    Thread.onSpinWait();
                }
            }

            @Override
            public void resize(String execId, TtySpec tty) {
                tty.windowSize().ifPresent(w -> {
                    try {
                        engine.client().resizeExecCmd(execId).withSize(w.rows(), w.columns()).exec();
                    } catch (RuntimeException e) {
                        // an exec that has just exited cannot be resized, which is no failure
                    }
                });
            }
        };
    }

    /** A process from before a restart, signalled as any other; its stdin is gone with its connection. */
    DockerProcess restoredProcess(String id, String execId, OutputFile out, OutputFile err, CompletableFuture<Integer> exit) {
        return new DockerProcess(id, execId, out, err, DockerProcess.detachedStdin(id), exit, control());
    }

    /** Restored processes, in start order: each directory's exec, its output so far, and its status. */
    void restoreProcesses(List<DockerProcess> restored) {
        synchronized (processes) {
            for (DockerProcess p : restored) {
                processes.remove(p.id());
                processes.put(p.id(), p);
            }
        }
    }

    @Override
    public Optional<BackendProcess> process(String processId) {
        synchronized (processes) {
            return Optional.ofNullable(processes.get(processId));
        }
    }

    @Override
    public List<String> processIds() {
        synchronized (processes) {
            return List.copyOf(processes.keySet());
        }
    }

    @Override
    public void stop(boolean kill) {
        call(() -> {
            InspectContainerResponse r = engine.client().inspectContainerCmd(containerId).exec();
            if (Boolean.TRUE.equals(r.getState().getRunning())) {
                if (kill) engine.client().killContainerCmd(containerId).exec();
                else engine.client().stopContainerCmd(containerId).withTimeout(10).exec();
            }
            return null;
        });
        List<DockerProcess> all;
        synchronized (processes) {
            all = List.copyOf(processes.values());
        }
        for (DockerProcess p : all) {
            try {
                p.exit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw GardenError.internal("process " + p.id() + " did not end after the container stopped", e);
            }
        }
    }

    // ---- facts, limits, metrics

    @Override
    public BackendInfo info() {
        InspectContainerResponse r = call(() -> engine.client().inspectContainerCmd(containerId).exec());
        String state = Boolean.TRUE.equals(r.getState().getRunning()) ? "active" : "stopped";
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
        return new BackendInfo(state, events, gateway, ip, ip.isEmpty() ? "" : settings.externalIp(), state().toString(),
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

    Path state() {
        return state;
    }

    @Override
    public Limits limits() {
        InspectContainerResponse r = call(() -> engine.client().inspectContainerCmd(containerId).exec());
        var hc = r.getHostConfig();
        long memory = hc.getMemory() == null ? 0 : hc.getMemory();
        long shares = hc.getCpuShares() == null ? 0 : hc.getCpuShares();
        long pids = hc.getPidsLimit() == null || hc.getPidsLimit() < 0 ? 0 : hc.getPidsLimit();
        return Limits.NONE.withMemory(new MemoryLimits(memory)).withCpu(cpuAsAsked(shares)).withPid(new PidLimits(pids));
    }

    /** Garden has two spellings of CPU shares (weight and limit_in_shares); the one asked for is kept beside the state. */
    private CpuLimits cpuAsAsked(long shares) {
        if (shares == 0) return CpuLimits.NONE;
        try {
            Path form = state.resolve("cpu-form");
            if (Files.exists(form) && Files.readString(form).strip().equals("shares")) return new CpuLimits(0, shares);
        } catch (IOException e) {
            // the weight spelling by default
        }
        return new CpuLimits(shares, 0);
    }

    static void recordCpuForm(Path state, CpuLimits cpu) throws IOException {
        Files.writeString(state.resolve("cpu-form"), cpu.weight() == 0 && cpu.limitInShares() != 0 ? "shares" : "weight");
    }

    @Override
    public void updateLimits(Limits wanted) {
        Limits current = limits();
        if (!wanted.bandwidth().equals(current.bandwidth()) || !wanted.disk().equals(current.disk())
                || !wanted.pid().equals(current.pid())) {
            throw new InvalidRequestException("only memory and cpu limits can change on a live container");
        }
        long memory = wanted.memory().limitInBytes();
        if (memory == 0 && current.memory().limitInBytes() != 0) {
            throw unsupported("removing the memory limit of a live container (the engine reads 0 as no change)");
        }
        long shares = wanted.cpu().effectiveShares();
        if (shares == 0 && current.cpu().effectiveShares() != 0) {
            throw unsupported("removing the cpu shares of a live container (the engine reads 0 as no change)");
        }
        var update = engine.client().updateContainerCmd(containerId);
        if (memory != 0) update.withMemory(memory).withMemorySwap(memory);
        if (shares != 0) update.withCpuShares((int) shares);
        try {
            live();
            try {
                update.exec();
            } catch (NotFoundException e) {
                call(() -> engine.client().inspectContainerCmd(containerId).exec()); // gone: unknown handle
                throw unsupported("changing the limits of a live container (this engine has no container update)");
            }
            recordCpuForm(state, wanted.cpu());
        } catch (com.github.dockerjava.api.exception.DockerException e) {
            throw new InvalidRequestException("the engine refused the limits: " + e.getMessage(), e);
        } catch (IOException e) {
            throw GardenError.internal("could not record the cpu limit's form: " + e.getMessage(), e);
        }
    }

    @Override
    public ContainerMetrics metrics() {
        JsonNode stats = call(() -> engine.getJson("/containers/" + containerId + "/stats?stream=false&one-shot=true"));
        InspectContainerResponse r = call(() -> engine.client().inspectContainerCmd(containerId).exec());
        return StatsMapping.metrics(stats, Instant.parse(r.getCreated()));
    }

    // ---- files

    @Override
    public void streamIn(StreamInSpec spec) {
        live();
        if (!spec.user().isEmpty() && !spec.user().equals("root")) throw unsupported("stream-in as user " + spec.user());
        ArchiveStreams.streamIn(engine, containerId, handle, spec, state);
    }

    @Override
    public InputStream streamOut(StreamOutSpec spec) {
        live();
        if (!spec.user().isEmpty() && !spec.user().equals("root")) throw unsupported("stream-out as user " + spec.user());
        return ArchiveStreams.streamOut(engine, containerId, handle, spec);
    }

    // ---- network

    @Override
    public PortMapping netIn(int hostPort, int containerPort) {
        live();
        throw unsupported("NetIn after create (the engine binds ports only when it creates a container: give them in"
                + " the container spec's net_in)");
    }

    @Override
    public void netOut(List<NetOutRule> rules) {
        live();
        if (!rules.isEmpty()) throw unsupported("NetOut rules (the engine has no per-container egress firewall)");
    }

    // ---- end

    @Override
    public void destroy() {
        if (destroyed) return;
        try {
            // killed first, so every exec ends with its status (137) while the engine can still report it
            stop(true);
        } catch (ContainerNotFoundException e) {
            // already gone from the engine
        } catch (RuntimeException e) {
            // removal below still ends everything
        }
        try {
            engine.client().removeContainerCmd(containerId).withForce(true).withRemoveVolumes(true).exec();
        } catch (NotFoundException e) {
            // already gone
        } catch (RuntimeException e) {
            throw GardenError.internal("could not remove container " + handle + " from the engine: " + e.getMessage(), e);
        }
        try {
            deleteTree(state);
        } catch (IOException e) {
            throw GardenError.internal("could not remove " + state + ": " + e.getMessage(), e);
        }
        destroyed = true;
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
