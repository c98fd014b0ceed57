package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.CommandRunners;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.BackendSpec;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The same backend with crun: host preparation (hugetlb v1 hierarchy), lifecycle, exit codes, clean destroy. */
class LinuxBackendCrunIT {
    private static final String PARENT = "cloche-crun-it";
    private static final CommandRunner SH = CommandRunners.processBuilder(Duration.ofSeconds(120));
    private static Path depot;
    private static LinuxBackend backend;

    @BeforeAll
    static void setUp() throws IOException {
        Path repo = Path.of("").toAbsolutePath();
        while (!Files.exists(repo.resolve("scripts/make-rootfs.sh"))) repo = repo.getParent();
        depot = Files.createTempDirectory("cloche-crun-it");
        Files.setPosixFilePermissions(depot, PosixFilePermissions.fromString("rwxr-xr-x"));
        TestShell.check(List.of("sh", repo.resolve("scripts/make-rootfs.sh").toString(), depot.resolve("rootfs").toString()));
        TestShell.check(List.of("sh", repo.resolve("scripts/build-native.sh").toString(), depot.resolve("bin").toString()));
        backend = new LinuxBackend(Settings.from(Map.of("depot", depot.toString(), "runtime", "crun",
                "runtimeRoot", depot.resolve("runtime").toString(), "cgroupParent", PARENT,
                "networkPool", "10.253.8.0/24", "networkPrefix", "clcr", "portPool", "41100-41199")), SH, Path.of("/sys/fs/cgroup"));
    }

    @AfterAll
    static void tearDown() {
        if (backend != null) backend.close();
        if (depot != null) {
            Path root = depot.resolve("runtime");
            for (String id : SH.run(List.of("crun", "--root", root.toString(), "list", "-q")).stdout().lines().toList()) {
                SH.run(List.of("crun", "--root", root.toString(), "delete", "--force", id.strip()));
            }
            TestShell.run(List.of("sh", "-c", "grep -o ' " + depot + "[^ ]*' /proc/self/mounts | xargs -r -n1 umount -l; "
                    + "for d in /sys/fs/cgroup/*/" + PARENT + "; do [ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir {} \\; ; done; true"));
            Trees.deleteRecursively(depot);
        }
    }

    @Test
    void timingsOfCreateRunDestroy() throws Exception {
        int n = 5;
        long[][] t = new long[3][n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            BackendContainer c = backend.create(new BackendSpec(ContainerSpec.withHandle("crun-timing-" + i)));
            long t1 = System.nanoTime();
            BackendProcess p = c.run(ProcessSpec.of("echo", "x").withId("e"));
            assertThat(p.exit().get(10, TimeUnit.SECONDS)).isZero();
            assertThat(readAll(p.openStdout())).isEqualTo("x\n");
            long t2 = System.nanoTime();
            c.destroy();
            long t3 = System.nanoTime();
            t[0][i] = t1 - t0;
            t[1][i] = t2 - t1;
            t[2][i] = t3 - t2;
        }
        for (long[] v : t) java.util.Arrays.sort(v);
        System.out.printf("TIMING crun (ms, median of %d): create %.1f, run echo %.1f, destroy %.1f%n", n,
                t[0][n / 2] / 1e6, t[1][n / 2] / 1e6, t[2][n / 2] / 1e6);
    }

    private static String readAll(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void crunRunsProcessesAndDestroysCleanly() throws Exception {
        assertThat(Files.readString(Path.of("/sys/fs/cgroup/unified/cgroup.controllers")).strip()).isEmpty();
        String handle = "crun-" + ProcessHandle.current().pid();
        BackendContainer c = backend.create(new BackendSpec(ContainerSpec.withHandle(handle)
                .withLimits(Limits.NONE.withMemory(new MemoryLimits(32L << 20)))));
        try {
            BackendProcess echo = c.run(ProcessSpec.of("sh", "-c", "cat /proc/1/cmdline; hostname; cat /proc/self/uid_map").withId("e"));
            assertThat(echo.exit().get(10, TimeUnit.SECONDS)).isZero();
            assertThat(readAll(echo.openStdout()).split("\\s+")).containsExactly("/tmp/garden-init\0" + handle,
                    "0", "4294967294", "1", "1", "1", "4294967293");
            assertThat(Files.readString(Path.of("/sys/fs/cgroup/memory", PARENT, handle, "memory.limit_in_bytes")).strip())
                    .isEqualTo(Long.toString(32L << 20));
            BackendProcess sleeper = c.run(ProcessSpec.of("sleep", "100").withId("s"));
            sleeper.signal(Signal.KILL);
            assertThat(sleeper.exit().get(10, TimeUnit.SECONDS)).isEqualTo(137);
        } finally {
            c.destroy();
        }
        assertThat(SH.run(List.of("crun", "--root", depot.resolve("runtime").toString(), "list", "-q")).stdout()).doesNotContain(handle);
        assertThat(depot.resolve("containers").resolve(handle)).doesNotExist();
        assertThat(depot.resolve("processes").resolve(handle)).doesNotExist();
        // the process tmpfs stays while the backend is open; the container's own mounts must be gone
        assertThat(Files.readAllLines(Path.of("/proc/self/mounts"))).noneMatch(l -> l.contains(depot.resolve("containers").toString()));
        try (var s = Files.list(Path.of("/sys/fs/cgroup"))) {
            assertThat(s.filter(h -> !Files.isSymbolicLink(h)).map(h -> h.resolve(PARENT).resolve(handle))).noneMatch(Files::exists);
        }
    }
}
