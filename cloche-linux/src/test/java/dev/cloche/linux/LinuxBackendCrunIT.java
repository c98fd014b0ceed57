package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.testkit.RootBackendExtension;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The same backend with crun: host preparation (hugetlb v1 hierarchy), lifecycle, exit codes, clean destroy. */
class LinuxBackendCrunIT {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-crun-it")
            .network("clcr", "10.253.8.0/24", "41100-41199").setting("runtime", "crun").build();

    @Test
    void timingsOfCreateRunDestroy() throws Exception {
        int n = 5;
        long[][] t = new long[3][n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            BackendContainer c = ROOT.create(ContainerSpec.withHandle("crun-timing-" + i));
            long t1 = System.nanoTime();
            BackendProcess p = c.run(ProcessSpec.of("echo", "x").withId("e"));
            assertThat(p.exit().get(10, TimeUnit.SECONDS)).isZero();
            assertThat(readAll(p.openStdout())).isEqualTo("x\n");
            long t2 = System.nanoTime();
            ROOT.destroy(c);
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
        BackendContainer c = ROOT.create(ContainerSpec.withHandle(handle)
                .withLimits(Limits.NONE.withMemory(new MemoryLimits(32L << 20))));
        try {
            BackendProcess echo = c.run(ProcessSpec.of("sh", "-c", "cat /proc/1/cmdline; hostname; cat /proc/self/uid_map").withId("e"));
            assertThat(echo.exit().get(10, TimeUnit.SECONDS)).isZero();
            assertThat(readAll(echo.openStdout()).split("\\s+")).containsExactly("/tmp/garden-init\0" + handle,
                    "0", "4294967294", "1", "1", "1", "4294967293");
            assertThat(Files.readString(ROOT.cgroup("memory", handle).resolve("memory.limit_in_bytes")).strip())
                    .isEqualTo(Long.toString(32L << 20));
            BackendProcess sleeper = c.run(ProcessSpec.of("sleep", "100").withId("s"));
            sleeper.signal(Signal.KILL);
            assertThat(sleeper.exit().get(10, TimeUnit.SECONDS)).isEqualTo(137);
        } finally {
            ROOT.destroy(c);
        }
        assertThat(TestShell.run(List.of("crun", "--root", ROOT.runtimeRoot().toString(), "list", "-q")).stdout()).doesNotContain(handle);
        assertThat(ROOT.depot().resolve("containers").resolve(handle)).doesNotExist();
        assertThat(ROOT.depot().resolve("processes").resolve(handle)).doesNotExist();
        // the process tmpfs stays while the backend is open; the container's own mounts must be gone
        assertThat(Files.readAllLines(Path.of("/proc/self/mounts"))).noneMatch(l -> l.contains(ROOT.depot().resolve("containers").toString()));
        try (var s = Files.list(Path.of("/sys/fs/cgroup"))) {
            assertThat(s.filter(h -> !Files.isSymbolicLink(h)).map(h -> h.resolve(ROOT.cgroupParent()).resolve(handle))).noneMatch(Files::exists);
        }
    }
}
