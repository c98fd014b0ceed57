package dev.cloche.docker;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.github.dockerjava.api.model.Container;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.testkit.BackendConformance;
import dev.cloche.testkit.BusyboxProcesses;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The conformance suite on a real engine ({@code cloche.dockerHost} or {@code cloche.podmanHost}, started by
 * scripts/test-engines.sh), with the test rootfs imported as the image. Limits are read back from the cgroup v1
 * files of the container's init, what a container holds is what the engine lists and the state directory keeps.
 */
abstract class EngineConformance extends BackendConformance implements BusyboxProcesses {
    private static final long UNLIMITED = 1L << 62;
    private static final List<AutoCloseable> OPENED = new ArrayList<>();

    private final String owner = "conf-" + UUID.randomUUID().toString().substring(0, 8);
    private Path state;
    private DockerBackend backend;
    private Engine probe;

    /** The engine's URI, from a system property. */
    abstract String hostProperty();

    URI host() {
        return URI.create(System.getProperty(hostProperty(), ""));
    }

    @BeforeEach
    void openBackend() throws IOException {
        assumeTrue(!System.getProperty(hostProperty(), "").isEmpty(), hostProperty() + " is not set");
        state = Files.createTempDirectory("cloche-docker-it-");
        backend = DockerBackend.open(settings(), HostSignals.processHandles());
        probe = new Engine(host());
        Path mine = state;
        synchronized (OPENED) {
            OPENED.add(probe);
            OPENED.add(backend);
            OPENED.add(() -> DockerContainer.deleteTree(mine)); // closed after its backend; its containers are destroyed by then
        }
    }

    private DockerSettings settings() {
        return DockerSettings.from(Map.of("dockerHost", host().toString(), "owner", owner, "state", state.toString(),
                "defaultRootfs", System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs")));
    }

    /** After every test's containers are destroyed (the suite's own AfterEach runs after a subclass's). */
    @AfterAll
    static void closeBackends() throws Exception {
        synchronized (OPENED) {
            for (AutoCloseable c : OPENED) c.close();
            OPENED.clear();
        }
    }

    /** What neither engine can do through the backend. */
    @Override
    public Set<Limitation> limitations() {
        return Set.of(Limitation.NET_IN_AFTER_CREATE, Limitation.NET_OUT_RULES, Limitation.BANDWIDTH_LIMITS,
                Limitation.DISK_LIMITS, Limitation.PROCESS_STREAMS_ACROSS_RESTART);
    }

    @Override
    public ContainerBackend backend() {
        return backend;
    }

    /** From the cgroup v1 files of the container's init, as the kernel enforces them. */
    @Override
    public Limits appliedLimits(BackendContainer c) {
        String id = ((DockerContainer) c).containerId();
        Long pid = probe.client().inspectContainerCmd(id).exec().getState().getPidLong();
        long memory = Long.parseLong(read(cgroup(pid, "memory").resolve("memory.limit_in_bytes")));
        long shares = Long.parseLong(read(cgroup(pid, "cpu").resolve("cpu.shares")));
        String pids = read(cgroup(pid, "pids").resolve("pids.max"));
        return Limits.NONE.withMemory(new MemoryLimits(memory >= UNLIMITED ? 0 : memory)).withCpu(new CpuLimits(shares, 0))
                .withPid(new PidLimits(pids.equals("max") ? 0 : Long.parseLong(pids)));
    }

    private static Path cgroup(long pid, String controller) {
        for (String line : read(Path.of("/proc/" + pid + "/cgroup")).split("\n")) {
            String[] f = line.split(":", 3);
            if (List.of(f[1].split(",")).contains(controller)) return Path.of("/sys/fs/cgroup", controller, f[2]);
        }
        throw new AssertionError("no " + controller + " cgroup for pid " + pid);
    }

    /** The engine's containers with this handle and owner, and the container's state directory. */
    @Override
    public List<String> resourcesOf(String handle, BackendInfo whileLive) {
        List<String> held = new ArrayList<>();
        List<Container> listed = probe.client().listContainersCmd().withShowAll(true)
                .withLabelFilter(Map.of(DockerBackend.OWNER_LABEL, owner, DockerBackend.HANDLE_LABEL, handle)).exec();
        for (Container c : listed) held.add("engine container " + c.getId() + " " + c.getState());
        if (Files.exists(Path.of(whileLive.containerPath()))) held.add("state " + whileLive.containerPath());
        return held;
    }

    @Override
    public Optional<ContainerBackend> restart() {
        backend.close();
        backend = DockerBackend.open(settings(), HostSignals.processHandles());
        synchronized (OPENED) {
            OPENED.add(backend);
        }
        return Optional.of(backend);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
