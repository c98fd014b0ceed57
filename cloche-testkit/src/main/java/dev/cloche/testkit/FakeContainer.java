package dev.cloche.testkit;

import dev.cloche.api.ConflictException;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProcess;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/** A container of {@link FakeBackend}: keeps files streamed in as bytes and runs {@link FakeProcess}es. */
public final class FakeContainer implements BackendContainer {

    private final ContainerSpec spec;
    private final FakeBackend backend;
    private final Map<String, FakeProcess> processes = new ConcurrentHashMap<>();
    private final List<String> order = new CopyOnWriteArrayList<>();
    private final List<NetOutRule> netOut = new CopyOnWriteArrayList<>();
    private final List<PortMapping> netIn = new CopyOnWriteArrayList<>();
    private final Map<String, byte[]> files = new ConcurrentHashMap<>();
    private final Instant created = Instant.now();
    private volatile boolean stopped;
    private volatile boolean destroyed;
    private volatile Limits limits;
    private volatile RuntimeException nextStreamInFailure;
    private volatile RuntimeException nextUpdateLimitsFailure;
    private volatile Optional<ContainerMetrics> reportedMetrics = Optional.empty();

    FakeContainer(ContainerSpec spec, FakeBackend backend) {
        this.spec = spec;
        this.backend = backend;
        this.limits = backend.appliedLimits(spec.limits());
    }

    @Override
    public String handle() {
        return spec.handle();
    }

    public ContainerSpec spec() {
        return spec;
    }

    @Override
    public BackendProcess run(ProcessSpec p) {
        live();
        Optional<RuntimeException> failure = backend.runFailure(p.path());
        if (failure.isPresent()) {
            throw failure.get();
        }
        if (stopped) {
            throw new ConflictException("container " + handle() + " is stopped");
        }
        if (!p.image().uri().isEmpty()) {
            // the fake has no images: it must not pretend to run a process in one
            throw new InvalidRequestException("the fake backend runs no process in an image of its own: " + p.image().uri());
        }
        if (p.path().equals("rm")) { // the one file operation processes do on the fake's files
            p.args().stream().filter(a -> !a.startsWith("-")).forEach(files::remove);
        }
        FakeProcess proc = FakeProcess.start(p);
        processes.put(p.id(), proc);
        order.add(p.id());
        return proc;
    }

    @Override
    public Optional<BackendProcess> process(String processId) {
        live();
        return Optional.ofNullable(processes.get(processId));
    }

    @Override
    public List<String> processIds() {
        return List.copyOf(order);
    }

    @Override
    public void stop(boolean kill) {
        live();
        for (FakeProcess p : processes.values()) {
            p.signal(kill ? Signal.KILL : Signal.TERMINATE);
        }
        stopped = true;
    }

    @Override
    public BackendInfo info() {
        live();
        return new BackendInfo(stopped ? "stopped" : "active", List.of(), "", "", "", "/fake/" + handle(), netIn);
    }

    @Override
    public Limits limits() {
        live();
        return limits;
    }

    @Override
    public void updateLimits(Limits l) {
        live();
        RuntimeException failure = nextUpdateLimitsFailure;
        if (failure != null) {
            nextUpdateLimitsFailure = null;
            throw failure;
        }
        Limits current = limits;
        if (!l.bandwidth().equals(current.bandwidth()) || !l.disk().equals(current.disk()) || !l.pid().equals(current.pid())) {
            throw new dev.cloche.api.InvalidRequestException("only memory and cpu limits can change on a live container");
        }
        limits = l;
    }

    /** Makes the next {@link #updateLimits} throw this. */
    public void failNextUpdateLimits(RuntimeException failure) {
        nextUpdateLimitsFailure = failure;
    }

    /** Makes the next {@link #streamIn} throw this. */
    public void failNextStreamIn(RuntimeException failure) {
        nextStreamInFailure = failure;
    }

    /** The content of a regular file streamed in as part of a tar, by its absolute path. */
    public Optional<byte[]> file(String path) {
        byte[] tar = files.get(path);
        if (tar == null) {
            return Optional.empty();
        }
        return FakeTar.read(tar).stream().findFirst().map(FakeTar.Entry::content);
    }

    /** Makes {@link #metrics} answer {@code m} from now on (instead of zeros and the real age). */
    public void reportMetrics(ContainerMetrics m) {
        reportedMetrics = Optional.of(m);
    }

    @Override
    public ContainerMetrics metrics() {
        live();
        long cpu = processes.values().stream().mapToLong(FakeProcess::cpuNanos).sum();
        long memory = processes.values().stream().mapToLong(FakeProcess::memoryBytes).sum();
        return reportedMetrics.orElseGet(() -> new ContainerMetrics(new ContainerMetrics.MemoryStat(Map.of(), memory),
                new ContainerMetrics.CpuStat(cpu, cpu, 0),
                ContainerMetrics.DiskStat.EMPTY, Optional.empty(),
                new ContainerMetrics.PidStat(processes.size(), spec.limits().pid().max()),
                Duration.between(created, Instant.now()), 0));
    }

    @Override
    public void streamIn(StreamInSpec s) {
        live();
        RuntimeException failure = nextStreamInFailure;
        if (failure != null) {
            nextStreamInFailure = null;
            throw failure;
        }
        try (InputStream in = s.tarStream()) {
            byte[] bytes = in.readAllBytes();
            files.put(s.path(), bytes);
            // each regular file of a tar also becomes streamable by its own path, as one-entry tar
            for (FakeTar.Entry e : FakeTar.read(bytes)) {
                String full = java.nio.file.Path.of(s.path().isEmpty() ? "/" : s.path()).resolve(e.name()).normalize().toString();
                String base = java.nio.file.Path.of(full).getFileName().toString();
                files.put(full, FakeTar.write(new FakeTar.Entry(base, e.mode(), e.content())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public InputStream streamOut(StreamOutSpec s) {
        live();
        byte[] b = Optional.ofNullable(files.get(s.path())).or(() -> backend.seededFile(s.path()))
                .orElseThrow(() -> new InvalidRequestException("stream-out: " + s.path() + " does not exist in container " + handle()));
        return new ByteArrayInputStream(b);
    }

    @Override
    public PortMapping netIn(int hostPort, int containerPort) {
        live();
        int h = hostPort == 0 ? 61001 + netIn.size() : hostPort; // 61001: the Go backend behind the wire captures
        PortMapping m = new PortMapping(h, containerPort == 0 ? h : containerPort);
        netIn.add(m);
        return m;
    }

    @Override
    public void netOut(List<NetOutRule> rules) {
        live();
        netOut.addAll(rules);
    }

    public List<NetOutRule> netOutRules() {
        return new ArrayList<>(netOut);
    }

    @Override
    public void destroy() {
        if (destroyed) {
            return;
        }
        destroyed = true;
        processes.values().forEach(p -> p.signal(Signal.KILL));
        backend.destroyed(handle());
    }

    int openOutputReaders() {
        return processes.values().stream().mapToInt(FakeProcess::openOutputReaders).sum();
    }

    public boolean isDestroyed() {
        return destroyed;
    }

    private void live() {
        if (destroyed) {
            throw new ContainerNotFoundException(handle());
        }
    }
}
