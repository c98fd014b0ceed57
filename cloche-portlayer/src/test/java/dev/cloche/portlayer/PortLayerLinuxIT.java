package dev.cloche.portlayer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cloche.api.ConflictException;
import dev.cloche.api.Container;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.PortLayer;
import dev.cloche.api.PortLayer.Handle;
import dev.cloche.api.PortLayer.ProcessStatus;
import dev.cloche.api.PortLayer.RunState;
import dev.cloche.api.Signal;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.spi.BackendProvider;
import dev.cloche.spi.ContainerBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The port layer on real containers (root, runc, cgroup v1): the core and the Linux backend in-process. */
class PortLayerLinuxIT {
    private static final String PARENT = "cloche-portlayer-it";
    private static final List<String> SLEEP = List.of("-c", "echo $$ > /tmp/main.pid; exec sleep 1000");
    private static Path depot;
    private static ContainerBackend backend;
    private static ContainerManager core;
    private static PortLayer pl;

    @BeforeAll
    static void start() throws IOException {
        depot = Files.createTempDirectory("cloche-portlayer-it-");
        Files.setPosixFilePermissions(depot, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        BackendProvider provider = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("linux")).findFirst().orElseThrow();
        backend = provider.create(Map.of(
                "depot", depot.toString(),
                "defaultRootfs", System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs"),
                "initBinary", System.getProperty("cloche.init", "/var/lib/cloche/bin/cloche-init"),
                "runtimeRoot", depot.resolve("runtime").toString(),
                "cgroupParent", PARENT));
        core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
        pl = new CorePortLayer(core, core);
    }

    @AfterAll
    static void stop() throws IOException {
        List<Throwable> failures = new ArrayList<>();
        if (core != null) {
            for (Container c : core.containers(Map.of())) {
                try {
                    core.destroy(c.handle());
                } catch (GardenException e) {
                    failures.add(e);
                }
            }
            core.close();
        }
        if (backend != null) {
            backend.close();
        }
        assertThat(Path.of("/sys/fs/cgroup/memory", PARENT)).doesNotExist();
        String mounts = Files.readString(Path.of("/proc/self/mounts"));
        if (mounts.contains(depot.toString())) {
            throw new AssertionError("mounts left under " + depot + ":\n" + mounts);
        }
        try (var walk = Files.walk(depot)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        assertThat(failures).isEmpty();
    }

    /**
     * Host and kernel failures reach the port layer's caller as Garden's generic internal error with the backend's
     * message, and nothing suppressed: every rollback step of a failed commit succeeded.
     */
    private static void assertInternalError(ThrowingCallable call, String message) {
        assertThatThrownBy(call).isExactlyInstanceOf(GardenError.Generic.class).hasMessage(message).satisfies(e -> {
            assertThat(((GardenException) e).kind()).isEqualTo(GardenException.Kind.INTERNAL);
            assertThat(e.getSuppressed()).isEmpty();
        });
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The container's cgroup dir in one v1 controller (the backend names it by its depot id, the path's last part). */
    private static Path cgroup(String controller, String id) {
        String depotId = Path.of(pl.config(id).containerPath()).getFileName().toString();
        return Path.of("/sys/fs/cgroup", controller, PARENT, depotId);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String file(String id, String path) {
        return new String(pl.copyOut(id, path).content(), StandardCharsets.UTF_8);
    }

    @Test
    void severalChangesCommitTogetherAndLimitsApplyLive() {
        pl.commit(pl.createContainer("pl-all").withEntryPoint("/", "/bin/sh", SLEEP).withMemoryLimit(64 << 20)
                .withCpuShares(512).withFile("/etc/app/conf", 0640, utf8("a=1\n")).withProperty("owner", "it")
                .withRunState(RunState.RUNNING));
        assertThat(read(cgroup("memory", "pl-all").resolve("memory.limit_in_bytes"))).isEqualTo(Long.toString(64 << 20));
        assertThat(read(cgroup("cpu", "pl-all").resolve("cpu.shares"))).isEqualTo("512");
        assertThat(file("pl-all", "/etc/app/conf")).isEqualTo("a=1\n");
        assertThat(pl.copyOut("pl-all", "/etc/app/conf").mode()).isEqualTo(0640);
        assertThat(pl.config("pl-all").properties()).isEqualTo(Map.of("owner", "it"));
        await().atMost(Duration.ofSeconds(10)).until(() -> pl.copyOut("pl-all", "/tmp/main.pid").content().length > 0);
        String mainPid = file("pl-all", "/tmp/main.pid");
        assertThat(pl.state("pl-all").runState()).isEqualTo(RunState.RUNNING);

        // live: the same main process keeps running under the new limits
        pl.commit(pl.getHandle("pl-all").withMemoryLimit(128 << 20).withCpuShares(256));
        assertThat(read(cgroup("memory", "pl-all").resolve("memory.limit_in_bytes"))).isEqualTo(Long.toString(128 << 20));
        assertThat(read(cgroup("cpu", "pl-all").resolve("cpu.shares"))).isEqualTo("256");
        assertThat(pl.config("pl-all").memoryLimit()).isEqualTo(128 << 20);
        assertThat(file("pl-all", "/tmp/main.pid")).isEqualTo(mainPid);
        assertThat(pl.state("pl-all").main().status()).isEqualTo(ProcessStatus.RUNNING);

        // unlimited again
        pl.commit(pl.getHandle("pl-all").withMemoryLimit(0));
        assertThat(Long.parseLong(read(cgroup("memory", "pl-all").resolve("memory.limit_in_bytes")))).isGreaterThan(1L << 40);

        pl.commit(pl.getHandle("pl-all").withRunState(RunState.STOPPED));
        PortLayer.State st = pl.state("pl-all");
        assertThat(st.runState()).isEqualTo(RunState.STOPPED);
        assertThat(st.main().exitCode()).hasValue(143);
        pl.destroyContainer("pl-all");
    }

    @Test
    void aFailingChangeInTheMiddleLeavesTheContainerAsItWas() {
        pl.commit(pl.createContainer("pl-fail").withEntryPoint("/", "/bin/sh", SLEEP).withMemoryLimit(64 << 20)
                .withProperty("p", "old").withFile("/etc/motd", 0644, utf8("old motd")).withRunState(RunState.RUNNING));
        long version = pl.config("pl-fail").version();
        // /etc/passwd is a file, so nothing can be created below it: the second copy fails after the first landed
        Handle h = pl.getHandle("pl-fail").withProperty("p", "new").withMemoryLimit(96 << 20)
                .withFile("/etc/motd", 0600, utf8("new motd")).withFile("/etc/fresh", 0644, utf8("fresh"))
                .withFile("/etc/passwd/impossible", 0644, utf8("x"));
        assertInternalError(() -> pl.commit(h), "error streaming in: tar: can't create directory 'etc/passwd': File exists\n"
                + "tar: can't remove old file etc/passwd/impossible: Not a directory");

        PortLayer.Config cfg = pl.config("pl-fail");
        assertThat(cfg.version()).isEqualTo(version);
        assertThat(cfg.properties()).containsEntry("p", "old");
        assertThat(read(cgroup("memory", "pl-fail").resolve("memory.limit_in_bytes"))).isEqualTo(Long.toString(64 << 20));
        assertThat(cfg.memoryLimit()).isEqualTo(64 << 20);
        assertThat(file("pl-fail", "/etc/motd")).isEqualTo("old motd");
        assertThat(pl.copyOut("pl-fail", "/etc/motd").mode()).isEqualTo(0644);
        assertThatThrownBy(() -> pl.copyOut("pl-fail", "/etc/fresh")).isInstanceOf(InvalidRequestException.class)
                .hasMessage("error streaming out: /etc/fresh does not exist in container pl-fail");
        assertThat(pl.state("pl-fail").runState()).isEqualTo(RunState.RUNNING);

        // a memory limit the kernel refuses (far below what the container uses) fails the commit the same way
        assertInternalError(() -> pl.commit(pl.getHandle("pl-fail").withProperty("q", "1").withMemoryLimit(4096)),
                "cannot set memory limit 4096 on " + cgroup("memory", "pl-fail") + ": Device or resource busy");
        assertThat(pl.config("pl-fail").properties()).doesNotContainKey("q");
        assertThat(read(cgroup("memory", "pl-fail").resolve("memory.limit_in_bytes"))).isEqualTo(Long.toString(64 << 20));
    }

    @Test
    void twoClientsTheFirstCommitWinsTheSecondConflictsThenSucceeds() {
        pl.commit(pl.createContainer("pl-two").withEntryPoint("/", "/bin/sh", SLEEP));
        Handle first = pl.getHandle("pl-two").withProperty("by", "first").withMemoryLimit(32 << 20);
        Handle second = pl.getHandle("pl-two").withProperty("by", "second").withRunState(RunState.RUNNING);
        pl.commit(first);
        assertThatThrownBy(() -> pl.commit(second)).isInstanceOf(ConflictException.class).hasMessageContaining("version");
        assertThat(pl.state("pl-two").runState()).isEqualTo(RunState.STOPPED); // nothing of the loser ran
        assertThat(pl.config("pl-two").properties()).containsEntry("by", "first");
        Handle reread = pl.getHandle("pl-two").withProperty("by", "second").withRunState(RunState.RUNNING);
        pl.commit(reread);
        assertThat(pl.config("pl-two").properties()).containsEntry("by", "second");
        assertThat(pl.config("pl-two").memoryLimit()).isEqualTo(32 << 20);
        assertThat(pl.state("pl-two").runState()).isEqualTo(RunState.RUNNING);
    }

    @Test
    void fiftyConcurrentCommittersExactlyOneWinsPerVersionAndNoUpdateIsLost() throws Exception {
        pl.commit(pl.createContainer("pl-50").withEntryPoint("/", "/bin/sh", SLEEP).withRunState(RunState.RUNNING));
        long base = pl.config("pl-50").version();
        int n = 50;
        CountDownLatch ready = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        AtomicInteger firstTry = new AtomicInteger();
        AtomicInteger conflicts = new AtomicInteger();
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                String key = "committer-" + i;
                long shares = 100 + i;
                fs.add(pool.submit(() -> {
                    Handle h = pl.getHandle("pl-50");
                    ready.countDown();
                    go.await();
                    for (int attempt = 0; ; attempt++) {
                        try {
                            pl.commit(h.withProperty(key, "done").withCpuShares(shares));
                            if (attempt == 0) {
                                firstTry.incrementAndGet();
                            }
                            return null;
                        } catch (ConflictException e) {
                            conflicts.incrementAndGet();
                            h = pl.getHandle("pl-50"); // re-read, then retry
                        }
                    }
                }));
            }
            ready.await();
            go.countDown();
            for (Future<?> f : fs) {
                f.get();
            }
        }
        assertThat(firstTry).hasValue(1); // all 50 took the same version: exactly one can commit on it
        PortLayer.Config cfg = pl.config("pl-50");
        assertThat(cfg.version()).isEqualTo(base + n);
        for (int i = 0; i < n; i++) {
            assertThat(cfg.properties()).containsEntry("committer-" + i, "done");
        }
        // the cgroup holds the last committer's shares, which is what the configuration says
        assertThat(read(cgroup("cpu", "pl-50").resolve("cpu.shares"))).isEqualTo(Long.toString(cfg.cpuShares()));
        assertThat(conflicts.get()).isGreaterThanOrEqualTo(n - 1);
    }

    @Test
    void aFileCopiedIntoAStoppedContainerAppearsWhenItStarts() {
        pl.commit(pl.createContainer("pl-file").withEntryPoint("/", "/bin/sh",
                List.of("-c", "cat /etc/greeting > /tmp/seen; exec sleep 1000")));
        pl.commit(pl.getHandle("pl-file").withFile("/etc/greeting", 0600, utf8("hello from a stopped commit\n")));
        assertThat(pl.config("pl-file").pendingFiles()).containsExactly("/etc/greeting");
        assertThatThrownBy(() -> pl.copyOut("pl-file", "/etc/greeting")).isInstanceOf(InvalidRequestException.class)
                .hasMessage("error streaming out: /etc/greeting does not exist in container pl-file");

        pl.commit(pl.getHandle("pl-file").withRunState(RunState.RUNNING));
        assertThat(pl.config("pl-file").pendingFiles()).isEmpty();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(
                () -> assertThat(file("pl-file", "/tmp/seen")).isEqualTo("hello from a stopped commit\n"));
        assertThat(pl.copyOut("pl-file", "/etc/greeting").mode()).isEqualTo(0600);
    }

    @Test
    void execIsIndependentOfTheMainProcessAndSignalsReachTheRightProcess() {
        pl.commit(pl.createContainer("pl-exec").withEntryPoint("/", "/bin/sh", SLEEP).withRunState(RunState.RUNNING));
        String pid = pl.execProcess("pl-exec", "/tmp", "/bin/sh", List.of("-c", "pwd > /tmp/exec-dir; exec sleep 1000"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(file("pl-exec", "/tmp/exec-dir")).isEqualTo("/tmp\n"));
        assertThat(pl.config("pl-exec").execs()).extracting(PortLayer.ExecConfig::id).containsExactly(pid);

        pl.signal(pid, Signal.KILL);
        await().atMost(Duration.ofSeconds(10)).until(() -> pl.state("pl-exec").execs().getFirst().status() == ProcessStatus.EXITED);
        PortLayer.State st = pl.state("pl-exec");
        assertThat(st.execs().getFirst().exitCode()).hasValue(137);
        assertThat(st.execs().getFirst().finished()).isPresent();
        assertThat(st.main().status()).isEqualTo(ProcessStatus.RUNNING);

        pl.signal("pl-exec", Signal.TERMINATE);
        await().atMost(Duration.ofSeconds(10)).until(() -> pl.state("pl-exec").runState() == RunState.STOPPED);
        assertThat(pl.state("pl-exec").main().exitCode()).hasValue(143);
        assertThat(pl.containers(java.util.Optional.of(RunState.STOPPED))).contains("pl-exec");
        pl.commit(pl.getHandle("pl-exec").withRunState(RunState.RUNNING)); // restarts under the same main id
        assertThat(pl.state("pl-exec").runState()).isEqualTo(RunState.RUNNING);
    }
}
