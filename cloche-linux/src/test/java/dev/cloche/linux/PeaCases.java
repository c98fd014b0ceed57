package dev.cloche.linux;

import static dev.cloche.linux.Runs.readAll;
import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.BindMount;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenException;
import dev.cloche.api.ImageRef;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.api.ProcessLimits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.linux.Runs.Result;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import dev.cloche.testkit.RootBackendExtension;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Peas (docs/peas.md) on the Linux backend for real, once per runtime (a subclass each): a process in an image of
 * its own, sharing its container's namespaces but the mount namespace, within or beside its container's limits,
 * removed when it exits or its container goes, and found again after a restart.
 */
abstract class PeaCases {
    private static final List<String> SHARED = List.of("net", "pid", "ipc", "uts", "user");
    /** A pea image: the test rootfs with a marker, and a user the container's rootfs lacks. */
    static Path peaImage;
    /** The same with an empty /etc/passwd. */
    static Path emptyPasswdImage;

    abstract RootBackendExtension root();

    @BeforeAll
    static void images() throws IOException {
        Path rootfs = Path.of(System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs"));
        Path base = Files.createTempDirectory("cloche-pea-images-");
        base.toFile().setExecutable(true, false);
        base.toFile().setReadable(true, false);
        peaImage = base.resolve("pea");
        emptyPasswdImage = base.resolve("nopasswd");
        for (Path img : List.of(peaImage, emptyPasswdImage)) {
            TestShell.check(List.of("cp", "-a", rootfs.toString(), img.toString()));
        }
        Files.writeString(peaImage.resolve("pea-marker"), "in the pea\n");
        Files.writeString(peaImage.resolve("etc/passwd"), "peauser:x:1234:1234::/home/peauser:/bin/sh\n", java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(emptyPasswdImage.resolve("etc/passwd"), "");
    }

    private BackendContainer create(ContainerSpec spec) {
        return root().create(spec);
    }

    private String handle(String prefix) {
        return root().handle(prefix);
    }

    private static ProcessSpec pea(String path, String... args) {
        return ProcessSpec.of(path, args).withImage(ImageRef.of(peaImage.toString()));
    }

    private long initPid(BackendContainer c) throws IOException {
        return Long.parseLong(Files.readString(Path.of(c.info().containerPath()).resolve("init.pid")).strip());
    }

    private Path peasDir(BackendContainer c) {
        return Path.of(c.info().containerPath()).resolve("peas");
    }

    private static List<String> list(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        }
    }

    private static List<String> mountsWith(String part) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mounts")).stream().filter(l -> l.contains(part)).toList();
    }

    @Test
    void aPeaRunsInItsOwnRootAndSharesEveryNamespaceButMount() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(handle("pea-ns")));
        long init = initPid(c);
        List<String> expected = new ArrayList<>();
        for (String ns : SHARED) expected.add(Files.readSymbolicLink(Path.of("/proc/" + init + "/ns/" + ns)).toString());
        String mnt = Files.readSymbolicLink(Path.of("/proc/" + init + "/ns/mnt")).toString();

        Result r = run(c, pea("sh", "-c", "for n in net pid ipc uts user mnt; do readlink /proc/self/ns/$n; done;"
                + " id -u; pwd; cat /pea-marker; echo $HOME $USER"));
        assertThat(r.exit()).as(r.stderr()).isZero();
        List<String> lines = r.stdout().lines().toList();
        assertThat(lines.subList(0, 5)).as("shared namespaces").isEqualTo(expected);
        assertThat(lines.get(5)).as("a mount namespace of its own").isNotEqualTo(mnt);
        assertThat(lines.subList(6, lines.size())).containsExactly("0", "/", "in the pea", "/root root");
        assertThat(run(c, ProcessSpec.of("cat", "/pea-marker")).exit()).as("the container does not see the pea's root").isNotZero();

        // the container's /etc/hosts and /etc/resolv.conf, as the container sees them
        String etc = "cat /etc/hosts /etc/resolv.conf";
        assertThat(run(c, pea("sh", "-c", etc)).stdout()).isEqualTo(run(c, ProcessSpec.of("sh", "-c", etc)).stdout())
                .contains(BundleRulesHostname.of(c.handle()));
        // once its process has exited, nothing of the pea is left
        assertThat(list(peasDir(c))).isEmpty();
        assertThat(mountsWith("/peas/")).isEmpty();
        assertThat(TestShell.run(List.of(root().settings().getOrDefault("runtime", "runc"), "--root",
                root().runtimeRoot().toString(), "list")).stdout()).doesNotContain("-pea-");
        assertThat(root().cgroupDirs(root().idOf(c)).stream().map(Path::toString)).noneMatch(d -> d.contains("-pea-"));
        root().destroy(c);
    }

    @Test
    void usersResolveInThePeasOwnPasswd() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(handle("pea-user")));
        assertThat(run(c, pea("sh", "-c", "id -u; id -g; pwd").withUser("peauser")).stdout()).isEqualTo("1234\n1234\n/\n");
        assertThatThrownBy(() -> c.run(ProcessSpec.of("id").withUser("peauser").withId("no-such-user")))
                .as("the container's passwd lacks the pea's user").isInstanceOf(GardenException.class);
        ProcessSpec alice = ProcessSpec.of("id").withImage(ImageRef.of(emptyPasswdImage.toString())).withUser("alice");
        assertThatThrownBy(() -> c.run(alice.withId("alice"))).isInstanceOf(GardenException.class)
                .hasMessageContaining("alice").hasMessageContaining("image's /etc/passwd")
                .hasMessageContaining(emptyPasswdImage.toString());
        assertThat(run(c, ProcessSpec.of("id", "-u").withImage(ImageRef.of(emptyPasswdImage.toString()))).stdout())
                .as("root needs no passwd entry").isEqualTo("0\n");
        assertThat(list(peasDir(c))).as("a refused pea leaves nothing").isEmpty();
        assertThat(mountsWith("/peas/")).isEmpty();
        root().destroy(c);
    }

    @Test
    void limitsAreTheContainersUnlessThePeaOverridesThem() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(handle("pea-limits"))
                .withLimits(Limits.NONE.withMemory(new MemoryLimits(64L << 20)).withPid(new PidLimits(50))));
        String id = root().idOf(c);
        String parent = root().cgroupParent();
        String own = "grep -E ':(memory|pids):' /proc/self/cgroup";
        String shared = run(c, pea("sh", "-c", own)).stdout();
        assertThat(shared.lines()).hasSize(2).allMatch(l -> l.contains("/" + parent + "/" + id + "/" + id + "-pea-"));

        // {}: no memory and no pid limit of its own, and not under the container's either
        BackendProcess free = c.run(pea("sleep", "100").withLimits(Optional.of(new ProcessLimits(CpuLimits.NONE, MemoryLimits.NONE)))
                .withId("free"));
        Path freeGroup = cgroupOf(processPid(c, "free"), "memory");
        assertThat(freeGroup.getParent().getFileName().toString()).isEqualTo(parent);
        assertThat(freeGroup.getFileName().toString()).startsWith(id + "-pea-");
        assertThat(Long.parseLong(Files.readString(freeGroup.resolve("memory.limit_in_bytes")).strip())).isGreaterThan(1L << 62);
        Path freePids = cgroupOf(processPid(c, "free"), "pids");
        assertThat(Files.readString(freePids.resolve("pids.max")).strip()).isEqualTo("max");
        free.signal(Signal.KILL);
        assertThat(free.exit().get(20, TimeUnit.SECONDS)).isEqualTo(137);
        assertThat(freeGroup).doesNotExist();

        // its own memory limit: exceeding it kills the pea, not the container
        ProcessSpec hog = pea("dd", "if=/dev/zero", "of=/dev/null", "bs=48M", "count=1")
                .withLimits(Optional.of(new ProcessLimits(CpuLimits.NONE, new MemoryLimits(16L << 20))));
        assertThat(run(c, hog).exit()).isEqualTo(137);
        assertThat(run(c, ProcessSpec.of("echo", "alive"))).isEqualTo(new Result(0, "alive\n", ""));
        assertThat(ProcessHandle.of(initPid(c))).isPresent();
        root().destroy(c);
    }

    @Test
    void peasTakeBindMountsAndWorkAsAnyProcess() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(handle("pea-proc")));
        Path data = Files.createTempDirectory("cloche-pea-bind-");
        data.toFile().setExecutable(true, false);
        Files.writeString(data.resolve("f"), "bound\n");
        data.resolve("f").toFile().setReadable(true, false);
        ProcessSpec bound = pea("cat", "/mnt/data/f").withBindMounts(List.of(
                new BindMount(data.toString(), "/mnt/data", BindMount.Mode.RO, BindMount.Origin.HOST)));
        assertThat(run(c, bound)).isEqualTo(new Result(0, "bound\n", ""));

        BackendProcess cat = c.run(pea("cat").withId("cat"));
        cat.stdin().write("piped\n".getBytes(StandardCharsets.UTF_8));
        cat.stdin().close();
        assertThat(cat.exit().get(20, TimeUnit.SECONDS)).isZero();
        assertThat(readAll(cat.openStdout())).isEqualTo("piped\n");
        assertThat(readAll(c.process("cat").orElseThrow().openStdout())).as("attach replays").isEqualTo("piped\n");

        BackendProcess killed = c.run(pea("sleep", "100").withId("kill"));
        killed.signal(Signal.KILL);
        assertThat(killed.exit().get(20, TimeUnit.SECONDS)).isEqualTo(137);
        BackendProcess termed = c.run(pea("sleep", "100").withId("term"));
        termed.signal(Signal.TERMINATE);
        assertThat(termed.exit().get(20, TimeUnit.SECONDS)).isEqualTo(143);

        BackendProcess tty = c.run(pea("sh", "-c", "stty size; echo err >&2").withTty(Optional.of(TtySpec.of(100, 30))).withId("tty"));
        assertThat(tty.exit().get(20, TimeUnit.SECONDS)).isZero();
        assertThat(readAll(tty.openStdout())).isEqualTo("30 100\r\nerr\r\n");

        assertThatThrownBy(() -> c.run(pea("no-such-binary").withId("missing"))).isInstanceOf(ExecutableNotFoundException.class);
        assertThat(run(c, pea("sh", "-c", "exit 7")).exit()).isEqualTo(7);
        assertThat(list(peasDir(c))).isEmpty();
        root().destroy(c);
    }

    @Test
    void metricsCountPeasWithinTheContainersCgroup() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(handle("pea-metrics")));
        long before = c.metrics().pid().current();
        BackendProcess a = c.run(pea("sleep", "100").withId("a"));
        BackendProcess b = c.run(pea("sleep", "100").withId("b"));
        assertThat(c.metrics().pid().current()).isEqualTo(before + 2);
        a.signal(Signal.KILL);
        b.signal(Signal.KILL);
        a.exit().get(20, TimeUnit.SECONDS);
        b.exit().get(20, TimeUnit.SECONDS);
        assertThat(c.metrics().pid().current()).isEqualTo(before);
        root().destroy(c);
    }

    @Test
    void destroyKillsPeasAndRemovesTheirRootsAndCgroups() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(handle("pea-destroy")));
        String id = root().idOf(c);
        c.run(pea("sleep", "100").withId("within"));
        c.run(pea("sleep", "100").withId("beside").withLimits(Optional.of(new ProcessLimits(CpuLimits.NONE, new MemoryLimits(32L << 20)))));
        long within = processPid(c, "within");
        long beside = processPid(c, "beside");
        assertThat(list(peasDir(c))).hasSize(2);
        root().destroy(c);
        assertThat(ProcessHandle.of(within)).isEmpty();
        assertThat(ProcessHandle.of(beside)).isEmpty();
        assertThat(mountsWith("/" + id + "/peas/")).isEmpty();
        try (Stream<Path> s = Files.list(Path.of("/sys/fs/cgroup/memory", root().cgroupParent()))) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(id));
        }
        assertThat(Path.of(root().depot().toString(), "containers", id)).doesNotExist();
    }

    @Test
    void peasOutliveTheirBackendAndAreRestored() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(handle("pea-restore")));
        BackendProcess done = c.run(pea("sh", "-c", "echo early; exit 3").withId("done"));
        BackendProcess cat = c.run(pea("cat").withId("cat"));
        cat.stdin().write("before\n".getBytes(StandardCharsets.UTF_8));
        // the first backend has seen "done" exit and removed its pea; "cat" runs on
        assertThat(done.exit().get(20, TimeUnit.SECONDS)).isEqualTo(3);
        assertThat(list(peasDir(c))).hasSize(1);
        CrashedDaemon.letGo(c);
        assertThat(list(peasDir(c))).as("letting go removes nothing").hasSize(1);
        try (ContainerBackend second = root().open()) {
            BackendContainer r = second.restore().stream().filter(x -> x.handle().equals(c.handle())).findFirst()
                    .flatMap(RestoredContainer::container).orElseThrow();
            assertThat(r.processIds()).containsExactly("done", "cat");
            assertThat(r.process("done").orElseThrow().exit().get(20, TimeUnit.SECONDS)).isEqualTo(3);
            BackendProcess rcat = r.process("cat").orElseThrow();
            rcat.stdin().write("after\n".getBytes(StandardCharsets.UTF_8));
            rcat.stdin().close();
            assertThat(rcat.exit().get(20, TimeUnit.SECONDS)).isZero();
            assertThat(readAll(rcat.openStdout())).isEqualTo("before\nafter\n");
            assertThat(list(peasDir(r))).as("the restored pea is removed when it exits").isEmpty();
            root().destroy(r);
        }
    }

    /** The host pid of process {@code id} as the runtime recorded it in its process directory. */
    private static long processPid(BackendContainer c, String id) throws IOException {
        try (var dirs = Files.list(((LinuxContainer) c).processDir())) {
            for (Path d : dirs.toList()) {
                if (Files.readString(d.resolve(MonitoredProcess.ID_FILE)).equals(id)) {
                    return Long.parseLong(Files.readString(d.resolve("pid")).strip());
                }
            }
        }
        throw new IllegalStateException("no process directory for " + id);
    }

    /** The v1 cgroup directory of {@code controller} that {@code pid} is in. */
    private static Path cgroupOf(long pid, String controller) throws IOException {
        for (String l : Files.readAllLines(Path.of("/proc/" + pid + "/cgroup"))) {
            String[] f = l.split(":", 3);
            if (List.of(f[1].split(",")).contains(controller)) return Path.of("/sys/fs/cgroup/" + controller + f[2]);
        }
        throw new IllegalStateException("no " + controller + " cgroup for " + pid);
    }

    /** The hostname the container's /etc/hosts names. */
    private static final class BundleRulesHostname {
        static String of(String handle) {
            return dev.cloche.linux.oci.BundleRules.hostname(handle);
        }
    }
}
