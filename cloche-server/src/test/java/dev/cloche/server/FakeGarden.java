package dev.cloche.server;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.BandwidthLimits;
import dev.cloche.api.Capacity;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfo;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerMetricsEntry;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.api.TtySpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * An in-memory GardenClient for wire tests. Processes are scripted by their path:
 * {@code echo a b} prints "a b\n" and exits 0; {@code script <code> <stdout> <stderr>} prints and exits;
 * {@code cat} copies stdin to stdout and exits with {@code EXIT=n} from env (default 0) at stdin EOF;
 * {@code sleep} runs until signalled (exit 128+signo); {@code /missing...} is an executable-not-found.
 * Output is recorded from the start and replayed to every attacher, so late readers lose nothing.
 */
public final class FakeGarden implements GardenClient {
    private final Map<String, FakeContainer> containers = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final Map<String, byte[]> seededFiles = new ConcurrentHashMap<>();
    static final AtomicInteger ACTIVE_PUMPS = new AtomicInteger();

    /** Output pumps (one per attached stdout/stderr) still delivering, across all fakes. */
    public static int activePumps() {
        return ACTIVE_PUMPS.get();
    }

    /** A file every container can stream out (before anything was streamed in at that path). */
    public void seedFile(String path, byte[] tar) {
        seededFiles.put(path, tar.clone());
    }

    /** The net-out rules a container received, in order. */
    public List<NetOutRule> netOutRules(String handle) {
        return List.copyOf(((FakeContainer) lookup(handle)).netOut);
    }

    @Override
    public void ping() {}

    @Override
    public Capacity capacity() {
        return new Capacity(1L << 33, 1L << 40, 0, 256); // like the Go fake behind the captures (schedulable omitted)
    }

    @Override
    public Container create(ContainerSpec spec) {
        String handle = spec.handle().isEmpty() ? "gen-" + ids.incrementAndGet() : spec.handle();
        FakeContainer c = new FakeContainer(handle, spec);
        if (containers.putIfAbsent(handle, c) != null) {
            throw new AlreadyExistsException("Handle '" + handle + "' already in use");
        }
        return c;
    }

    @Override
    public void destroy(String handle) {
        FakeContainer c = containers.remove(handle);
        if (c == null) {
            throw new ContainerNotFoundException(handle);
        }
        c.processes.values().forEach(p -> p.exit(137));
    }

    @Override
    public List<Container> containers(Map<String, String> properties) {
        return containers.values().stream()
                .filter(c -> properties.entrySet().stream().allMatch(e -> e.getValue().equals(c.props.get(e.getKey()))))
                .map(c -> (Container) c).toList();
    }

    @Override
    public Map<String, ContainerInfoEntry> bulkInfo(List<String> handles) {
        return handles.stream().distinct().collect(Collectors.toMap(h -> h, h -> {
            try {
                return ContainerInfoEntry.of(lookup(h).info());
            } catch (GardenException e) {
                return ContainerInfoEntry.failed(e);
            }
        }));
    }

    @Override
    public Map<String, ContainerMetricsEntry> bulkMetrics(List<String> handles) {
        return handles.stream().distinct().collect(Collectors.toMap(h -> h, h -> {
            try {
                return ContainerMetricsEntry.of(lookup(h).metrics());
            } catch (GardenException e) {
                return ContainerMetricsEntry.failed(e);
            }
        }));
    }

    @Override
    public Container lookup(String handle) {
        FakeContainer c = containers.get(handle);
        if (c == null) {
            throw new ContainerNotFoundException(handle);
        }
        return c;
    }

    @Override
    public void close() {}

    final class FakeContainer implements Container {
        final String handle;
        final ContainerSpec spec;
        final Map<String, String> props;
        final Map<String, FakeProcess> processes = new ConcurrentHashMap<>();
        final Map<String, byte[]> files = new ConcurrentHashMap<>();
        final List<NetOutRule> netOut = new CopyOnWriteArrayList<>();
        volatile String state = "active";
        volatile Duration grace;

        FakeContainer(String handle, ContainerSpec spec) {
            this.handle = handle;
            this.spec = spec;
            this.props = new ConcurrentHashMap<>(spec.properties());
            this.grace = spec.graceTime();
        }

        @Override
        public String handle() {
            return handle;
        }

        @Override
        public void stop(boolean kill) {
            processes.values().forEach(p -> p.exit(kill ? 137 : 143));
            state = "stopped";
        }

        @Override
        public ContainerInfo info() {
            return new ContainerInfo(state, List.of(), "10.0.0.1", "10.0.0.2", "", "192.168.0.1", "/var/fake/" + handle,
                    List.copyOf(processes.keySet()), Map.copyOf(props), List.of());
        }

        @Override
        public void streamIn(StreamInSpec s) {
            try {
                files.put(s.path(), s.tarStream().readAllBytes());
            } catch (IOException e) {
                throw GardenError.internal("error streaming in: " + e.getMessage(), e);
            }
        }

        @Override
        public InputStream streamOut(StreamOutSpec s) {
            byte[] b = files.getOrDefault(s.path(), seededFiles.get(s.path()));
            if (b == null) {
                throw GardenError.internal("no such file or directory: " + s.path());
            }
            return new ByteArrayInputStream(b);
        }

        @Override
        public BandwidthLimits currentBandwidthLimits() {
            return BandwidthLimits.NONE; // not enforced, like the Go fake behind the captures
        }

        @Override
        public CpuLimits currentCpuLimits() {
            return spec.limits().cpu();
        }

        @Override
        public DiskLimits currentDiskLimits() {
            return spec.limits().disk();
        }

        @Override
        public MemoryLimits currentMemoryLimits() {
            return spec.limits().memory();
        }

        @Override
        public PortMapping netIn(int hostPort, int containerPort) {
            int hp = hostPort == 0 ? 61001 : hostPort;
            return new PortMapping(hp, containerPort == 0 ? hp : containerPort);
        }

        @Override
        public void netOut(NetOutRule rule) {
            netOut.add(rule);
        }

        @Override
        public void bulkNetOut(List<NetOutRule> rules) {
            netOut.addAll(rules);
        }

        @Override
        public Process run(ProcessSpec ps, ProcessIO io) {
            if (ps.path().startsWith("/")) { // the fake has no filesystem: absolute paths never exist
                throw new ExecutableNotFoundException("exec: \"" + ps.path() + "\": stat " + ps.path() + ": no such file or directory");
            }
            String id = ps.id().isEmpty() ? "proc-" + ids.incrementAndGet() : ps.id();
            FakeProcess p = new FakeProcess(id, ps);
            FakeProcess prev = processes.putIfAbsent(id, p);
            if (prev != null) {
                if (!prev.exit.isDone()) {
                    throw new AlreadyExistsException("process id '" + id + "' already in use");
                }
                processes.put(id, p);
            }
            Process handleForCaller = p.attach(io);
            p.start(io.stdin());
            return handleForCaller;
        }

        @Override
        public Process attach(String processId, ProcessIO io) {
            FakeProcess p = processes.get(processId);
            if (p == null) {
                throw new ProcessNotFoundException(processId);
            }
            return p.attach(io);
        }

        @Override
        public ContainerMetrics metrics() {
            return new ContainerMetrics(new ContainerMetrics.MemoryStat(Map.of("rss", 4096L), 8192),
                    new ContainerMetrics.CpuStat(1000, 600, 400), ContainerMetrics.DiskStat.EMPTY, Optional.empty(),
                    new ContainerMetrics.PidStat(1, 0), Duration.ofSeconds(5), 0);
        }

        @Override
        public void setGraceTime(Duration graceTime) {
            grace = graceTime;
        }

        @Override
        public Map<String, String> properties() {
            return Map.copyOf(props);
        }

        @Override
        public String property(String name) {
            String v = props.get(name);
            if (v == null) {
                throw GardenError.internal("property does not exist: " + name);
            }
            return v;
        }

        @Override
        public void setProperty(String name, String value) {
            props.put(name, value);
        }

        @Override
        public void removeProperty(String name) {
            props.remove(name);
        }

        @Override
        public void destroy() {
            FakeGarden.this.destroy(handle);
        }
    }

    /** A scripted process with recorded output. */
    static final class FakeProcess {
        final String id;
        final ProcessSpec spec;
        final CompletableFuture<Integer> exit = new CompletableFuture<>();
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final List<TtySpec> resizes = new CopyOnWriteArrayList<>();

        FakeProcess(String id, ProcessSpec spec) {
            this.id = id;
            this.spec = spec;
        }

        void start(Optional<InputStream> stdin) {
            List<String> a = spec.args();
            switch (spec.path()) {
                case "echo" -> {
                    emit(out, String.join(" ", a) + "\n");
                    exit(0);
                }
                case "script" -> {
                    emit(out, a.get(1));
                    emit(err, a.get(2));
                    exit(Integer.parseInt(a.get(0)));
                }
                case "cat" -> Thread.ofVirtual().start(() -> {
                    cat(stdin);
                    exit(spec.env().stream().filter(e -> e.startsWith("EXIT=")).findFirst()
                            .map(e -> Integer.parseInt(e.substring(5))).orElse(0));
                });
                case "sh" -> Thread.ofVirtual().start(() -> shell(a.size() > 1 ? a.get(1) : "", stdin));
                default -> { } // "sleep": until signalled
            }
        }

        private void cat(Optional<InputStream> stdin) {
            byte[] buf = new byte[8192];
            try (InputStream in = stdin.orElse(InputStream.nullInputStream())) {
                for (int n; (n = in.read(buf)) >= 0; ) {
                    emit(out, buf, n);
                }
            } catch (IOException e) {
                // stdin failed: treat like EOF
            }
        }

        /** A toy {@code sh -c}: ';'-separated {@code cat}, {@code echo words [>&2]}, {@code exit n}. */
        private void shell(String script, Optional<InputStream> stdin) {
            for (String cmd : script.split(";")) {
                String c = cmd.strip();
                if (c.equals("cat")) {
                    cat(stdin);
                } else if (c.startsWith("echo ")) {
                    boolean toErr = c.endsWith(">&2");
                    String words = (toErr ? c.substring(0, c.length() - 3) : c).substring(5).strip();
                    emit(toErr ? err : out, words + "\n");
                } else if (c.startsWith("exit ")) {
                    exit(Integer.parseInt(c.substring(5).strip()));
                    return;
                }
            }
            exit(0);
        }

        void emit(ByteArrayOutputStream target, String s) {
            byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            emit(target, b, b.length);
        }

        void emit(ByteArrayOutputStream target, byte[] b, int n) {
            synchronized (this) {
                target.write(b, 0, n);
                notifyAll();
            }
        }

        void exit(int code) {
            synchronized (this) {
                exit.complete(code);
                notifyAll();
            }
        }

        /** A new attacher: two pumps replay recorded output from the start, then close the caller's streams. */
        Process attach(ProcessIO io) {
            List<Thread> pumps = new ArrayList<>();
            java.util.concurrent.atomic.AtomicBoolean detached = new java.util.concurrent.atomic.AtomicBoolean();
            io.stdout().ifPresent(o -> pumps.add(Thread.ofVirtual().start(() -> pump(out, o, detached))));
            io.stderr().ifPresent(o -> pumps.add(Thread.ofVirtual().start(() -> pump(err, o, detached))));
            FakeProcess self = this;
            return new Process() {
                @Override
                public String id() {
                    return id;
                }

                @Override
                public int await() {
                    int code = exit.join();
                    for (Thread t : pumps) {
                        try {
                            t.join();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                    return code;
                }

                @Override
                public CompletableFuture<Integer> onExit() {
                    return exit.copy();
                }

                @Override
                public void setTty(TtySpec tty) {
                    resizes.add(tty);
                }

                @Override
                public void signal(Signal signal) {
                    self.exit(128 + signal.signo());
                }

                @Override
                public void close() {
                    detached.set(true);
                    synchronized (self) {
                        self.notifyAll();
                    }
                }
            };
        }

        private void pump(ByteArrayOutputStream source, OutputStream sink, java.util.concurrent.atomic.AtomicBoolean detached) {
            int sent = 0;
            ACTIVE_PUMPS.incrementAndGet();
            try (sink) {
                while (true) {
                    byte[] chunk;
                    boolean done;
                    synchronized (this) {
                        while (source.size() == sent && !exit.isDone() && !detached.get()) {
                            wait();
                        }
                        chunk = java.util.Arrays.copyOfRange(source.toByteArray(), sent, source.size());
                        done = exit.isDone() || detached.get();
                    }
                    if (chunk.length > 0) {
                        sink.write(chunk);
                        sent += chunk.length;
                    }
                    if (done && chunk.length == 0) {
                        return;
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                ACTIVE_PUMPS.decrementAndGet();
            }
        }
    }
}
