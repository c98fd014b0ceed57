package dev.cloche.linux;

import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ConflictException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.linux.Runs.Result;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import dev.cloche.testkit.RootBackendExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The Linux backend for real: root, runc, overlayfs, cgroup v1; containers' isolation, life and restore. Limits and
 * processes have their own ITs (LinuxBackendLimitsIT, LinuxBackendProcessesIT), streams StreamIT.
 */
class LinuxBackendIT {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it")
            .network("clbi", "10.253.4.0/24", "41000-41099").build();

    private static BackendContainer create(ContainerSpec spec) {
        return ROOT.create(spec);
    }

    private static String handle(String prefix) {
        return ROOT.handle(prefix);
    }

    private static BackendContainer create(String prefix) {
        return ROOT.create(prefix);
    }

    private static void destroy(BackendContainer c) {
        ROOT.destroy(c);
    }

    private static List<String> mounts() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" ")[1]).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> runtimeContainers() {
        return TestShell.run(List.of("runc", "--root", ROOT.runtimeRoot().toString(), "list", "-q")).stdout().lines().toList();
    }

    @Test
    void unprivilegedContainerRunsTheInitWithGuardianUserNamespace() throws IOException {
        BackendContainer c = create("unpriv");
        assertThat(run(c, ProcessSpec.of("cat", "/proc/1/cmdline")).stdout()).isEqualTo("/tmp/garden-init\0");
        assertThat(run(c, ProcessSpec.of("hostname")).stdout().strip()).isEqualTo(c.handle());
        assertThat(run(c, ProcessSpec.of("cat", "/proc/self/uid_map")).stdout().strip().split("\\s+"))
                .containsExactly("0", "4294967294", "1", "1", "1", "4294967293");
        assertThat(run(c, ProcessSpec.of("id", "-u")).stdout().strip()).isEqualTo("0");
        assertThat(run(c, ProcessSpec.of("touch", "/made-by-root")).exit()).isZero();
        Path upper = Path.of(c.info().containerPath(), "upper", "made-by-root");
        assertThat(Integer.toUnsignedLong((Integer) Files.getAttribute(upper, "unix:uid"))).isEqualTo(4294967294L);
        destroy(c);
    }

    @Test
    void privilegedContainerHasNoUserNamespace() {
        BackendContainer c = create(ContainerSpec.withHandle(handle("priv")).withPrivileged(true));
        assertThat(run(c, ProcessSpec.of("cat", "/proc/self/uid_map")).stdout().strip().split("\\s+"))
                .containsExactly("0", "0", "4294967295");
        assertThat(run(c, ProcessSpec.of("cat", "/proc/1/cmdline")).stdout()).isEqualTo("/tmp/garden-init\0");
        destroy(c);
    }

    @Test
    void longHandleKeepsItsLast49CharactersAsHostname() {
        String h = handle("long-handle-" + "x".repeat(50));
        BackendContainer c = create(ContainerSpec.withHandle(h));
        assertThat(run(c, ProcessSpec.of("hostname")).stdout().strip()).isEqualTo(h.substring(h.length() - 49));
        destroy(c);
    }

    @Test
    void streamsTarInAndOutAsTheUser() throws IOException {
        BackendContainer c = create("stream");
        assertThat(run(c, ProcessSpec.of("sh", "-c", "mkdir -p /src/d && echo content > /src/d/f")).exit()).isZero();
        byte[] tar;
        try (InputStream in = c.streamOut(new StreamOutSpec("/src/d", ""))) {
            tar = in.readAllBytes();
        }
        c.streamIn(new StreamInSpec("dest", "", new java.io.ByteArrayInputStream(tar)));
        assertThat(run(c, ProcessSpec.of("cat", "/root/dest/d/f")).stdout()).isEqualTo("content\n");
        try (InputStream in = c.streamOut(new StreamOutSpec("/src/d/", ""))) {
            tar = in.readAllBytes();
        }
        assertThat(new String(tar, StandardCharsets.ISO_8859_1)).contains("./f");
        assertThatThrownBy(() -> c.streamOut(new StreamOutSpec("/does/not/exist", ""))).hasMessageContaining("error streaming out");
        assertThatThrownBy(() -> c.streamIn(new StreamInSpec("/x", "", new java.io.ByteArrayInputStream("garbage".repeat(100).getBytes()))))
                .hasMessageContaining("error streaming in");
        destroy(c);
    }

    @Test
    void stopKillsEverythingAndRejectsNewProcesses() throws Exception {
        BackendContainer c = create("stop");
        BackendProcess p = c.run(ProcessSpec.of("sh", "-c", "trap 'exit 42' TERM; echo trapped; while true; do sleep 0.05; done").withId("trap"));
        try (InputStream out = p.openStdout()) {
            assertThat(new String(out.readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("trapped\n");
        }
        c.stop(false);
        assertThat(p.exit().get(10, TimeUnit.SECONDS)).isEqualTo(42);
        assertThat(c.info().state()).isEqualTo("stopped");
        assertThatThrownBy(() -> c.run(ProcessSpec.of("true"))).isInstanceOf(ConflictException.class);
        destroy(c);
    }

    /**
     * The overlay of a running container is in its own mount namespace only (docs/reliability.md, the host's mount
     * table); users, executables and files are found through its init, and a stopped container's root is mounted
     * on the host again for its streams.
     */
    @Test
    void aRunningContainersRootIsOutOfTheHostsMountTableUntilItStops() throws Exception {
        BackendContainer c = create("detached");
        String merged = Path.of(c.info().containerPath(), "merged").toString();
        assertThat(mounts()).doesNotContain(merged);
        assertThat(run(c, ProcessSpec.of("sh", "-c", "echo kept > /kept; grep -c ' / overlay ' /proc/self/mounts")).stdout())
                .isEqualTo("1\n");
        assertThat(run(c, ProcessSpec.of("id", "-un").withUser("nobody")).stdout()).isEqualTo("nobody\n");
        assertThatThrownBy(() -> c.run(ProcessSpec.of("no-such-program"))).isInstanceOf(dev.cloche.api.ExecutableNotFoundException.class);
        try (InputStream in = c.streamOut(new StreamOutSpec("/kept", ""))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).contains("kept\n");
        }
        assertThat(mounts()).doesNotContain(merged);
        c.stop(true);
        try (InputStream in = c.streamOut(new StreamOutSpec("/kept", ""))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.ISO_8859_1)).contains("kept\n");
        }
        assertThat(mounts()).contains(merged);
        destroy(c);
        assertThat(mounts()).doesNotContain(merged);
    }

    @Test
    void destroyLeavesNothingAndIsIdempotent() throws Exception {
        BackendContainer c = create("destroy");
        BackendProcess sleeper = c.run(ProcessSpec.of("sh", "-c", "echo ready; exec sleep 100").withId("sleeper"));
        try (InputStream out = sleeper.openStdout()) {
            assertThat(new String(out.readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("ready\n");
        }
        String id = ROOT.idOf(c);
        Path dir = Path.of(c.info().containerPath());
        destroy(c);
        c.destroy();
        assertThat(sleeper.exit().get(10, TimeUnit.SECONDS)).isEqualTo(137);
        assertThatThrownBy(c::info).isInstanceOf(dev.cloche.api.ContainerNotFoundException.class);
        assertThat(runtimeContainers()).doesNotContain(id);
        assertThat(mounts()).noneMatch(m -> m.startsWith(dir.toString()));
        assertThat(ROOT.cgroupDirs(id)).isEmpty();
        assertThat(dir).doesNotExist();
    }

    @Test
    void bindMountsAreReadOnlyOrReadWriteAsAsked() throws IOException {
        // world-writable so the user-namespaced root (an unmapped host uid) may write through the RW mount
        Path ro = Files.createTempDirectory(ROOT.depot(), "bind-ro");
        Path rw = Files.createTempDirectory(ROOT.depot(), "bind-rw");
        for (Path d : List.of(ro, rw)) {
            Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        Files.writeString(ro.resolve("hello"), "from the host\n");
        BackendContainer c = create(ContainerSpec.withHandle(handle("bind")).withBindMounts(List.of(
                new dev.cloche.api.BindMount(ro.toString(), "/mnt/ro", dev.cloche.api.BindMount.Mode.RO, dev.cloche.api.BindMount.Origin.HOST),
                new dev.cloche.api.BindMount(rw.toString(), "/mnt/rw", dev.cloche.api.BindMount.Mode.RW, dev.cloche.api.BindMount.Origin.HOST))));
        try {
            assertThat(run(c, ProcessSpec.of("cat", "/mnt/ro/hello")).stdout()).isEqualTo("from the host\n");
            Result denied = run(c, ProcessSpec.of("sh", "-c", "echo x > /mnt/ro/new"));
            assertThat(denied.exit()).isNotZero();
            assertThat(denied.stderr()).contains("Read-only file system");
            assertThat(ro.resolve("new")).doesNotExist();
            assertThat(run(c, ProcessSpec.of("sh", "-c", "echo written > /mnt/rw/out")).exit()).isZero();
            assertThat(Files.readString(rw.resolve("out"))).isEqualTo("written\n");
        } finally {
            destroy(c);
        }
        assertThat(Files.readString(ro.resolve("hello"))).as("destroy never touches bind-mounted host data").isEqualTo("from the host\n");
    }

    @Test
    void failedCreateRollsBackAndBadImageIsRejected() {
        assertThatThrownBy(() -> create(ContainerSpec.withHandle(handle("img")).withImage(ImageRef.of("/no/such/dir"))))
                .isInstanceOf(InvalidRequestException.class);
        String h = handle("badmount");
        assertThatThrownBy(() -> create(ContainerSpec.withHandle(h).withBindMounts(List.of(
                new dev.cloche.api.BindMount("/no/such/source", "/mnt", dev.cloche.api.BindMount.Mode.RO, dev.cloche.api.BindMount.Origin.HOST)))));
        String id = LinuxBackend.runtimeId(h);
        assertThat(ROOT.depot().resolve("containers").resolve(id)).doesNotExist();
        assertThat(ROOT.cgroupDirs(id)).isEmpty();
        assertThat(runtimeContainers()).doesNotContain(id);
    }

    @Test
    void restoreFindsRunningContainersAndCapacityIsReported() {
        BackendContainer c = create("restore");
        try (ContainerBackend second = ROOT.open()) {
            List<RestoredContainer> found = second.restore();
            assertThat(found).anySatisfy(r -> {
                assertThat(r.handle()).isEqualTo(c.handle());
                assertThat(r.container()).isPresent();
                assertThat(run(r.container().get(), ProcessSpec.of("echo", "again")).stdout()).isEqualTo("again\n");
            });
            assertThat(second.capacity().memoryInBytes()).isPositive();
            // the class's pool, 10.253.4.0/24, holds 64 containers: fewer than the maxContainers default
            assertThat(second.capacity().maxContainers()).isEqualTo(64);
            assertThat(second.containerBound()).startsWith("the network pool 10.253.4.0/24 holds 64 containers");
        }
        destroy(c);
    }

    @Test
    void timingsOfCreateRunDestroy() {
        int n = 5;
        long[] create = new long[n], exec = new long[n], destroy = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            BackendContainer c = create("timing");
            long t1 = System.nanoTime();
            assertThat(run(c, ProcessSpec.of("echo", "x")).exit()).isZero();
            long t2 = System.nanoTime();
            destroy(c);
            long t3 = System.nanoTime();
            create[i] = t1 - t0;
            exec[i] = t2 - t1;
            destroy[i] = t3 - t2;
        }
        System.out.printf("TIMING runc (ms, median of %d): create %.1f, run echo %.1f, destroy %.1f%n", n,
                median(create), median(exec), median(destroy));
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2] / 1e6;
    }

    @SuppressWarnings("unused")
    private static String drain(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toString(StandardCharsets.UTF_8);
    }
}
