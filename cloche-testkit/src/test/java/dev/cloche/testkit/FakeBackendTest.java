package dev.cloche.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.BackendSpec;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The fake's own capabilities beyond the backend contract (BackendConformance covers that). */
class FakeBackendTest {
    private final FakeBackend backend = new FakeBackend();
    private final BackendContainer c = backend.create(new BackendSpec(ContainerSpec.withHandle("f")));

    private static String read(InputStream in) throws Exception {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void shRunsCatEchoAndExitInOrderResumingAfterStdinEnds() throws Exception {
        BackendProcess p = c.run(ProcessSpec.of("sh", "-c", "echo before; cat; echo err >&2; exit 3").withId("sh"));
        p.stdin().write("in\n".getBytes(StandardCharsets.UTF_8));
        assertThat(p.exit()).isNotDone();
        p.stdin().close();
        assertThat(p.exit().get(5, TimeUnit.SECONDS)).isEqualTo(3);
        assertThat(read(p.openStdout())).isEqualTo("before\nin\n");
        assertThat(read(p.openStderr())).isEqualTo("err\n");
    }

    @Test
    void shWithoutCatEndsAtOnceAndFailsCommandsItDoesNotKnowAsShDoes() throws Exception {
        assertThat(c.run(ProcessSpec.of("sh", "-c", "echo a").withId("a")).exit().get(5, TimeUnit.SECONDS)).isZero();
        BackendProcess unknown = c.run(ProcessSpec.of("sh", "-c", "ls /").withId("b"));
        assertThat(unknown.exit().get(5, TimeUnit.SECONDS)).isEqualTo(127);
        assertThat(read(unknown.openStderr())).isEqualTo("sh: ls /: not found\n");
        assertThat(c.run(ProcessSpec.of("sh", "-c", "ls; echo after").withId("c")).exit().get(5, TimeUnit.SECONDS)).isZero();
        BackendProcess badSeq = c.run(ProcessSpec.of("seq", "x").withId("d"));
        assertThat(badSeq.exit().get(5, TimeUnit.SECONDS)).isEqualTo(2);
    }

    @Test
    void openOutputReadersCountsReadersUntilTheyAreClosed() throws Exception {
        BackendProcess p = c.run(ProcessSpec.of("echo", "x").withId("e"));
        InputStream out = p.openStdout();
        InputStream err = p.openStderr();
        assertThat(backend.openOutputReaders()).isEqualTo(2);
        out.close();
        out.close();
        assertThat(backend.openOutputReaders()).isEqualTo(1);
        err.close();
        assertThat(backend.openOutputReaders()).isZero();
    }

    @Test
    void seededFilesStreamOutUntilSomethingIsStreamedInThere() throws Exception {
        backend.seedFile("/etc/hostname", "tar".getBytes(StandardCharsets.UTF_8));
        assertThat(read(c.streamOut(new StreamOutSpec("/etc/hostname", "")))).isEqualTo("tar");
        c.streamIn(new dev.cloche.api.StreamInSpec("/etc/hostname", "",
                new java.io.ByteArrayInputStream("mine".getBytes(StandardCharsets.UTF_8))));
        assertThat(read(c.streamOut(new StreamOutSpec("/etc/hostname", "")))).isEqualTo("mine");
    }

    @Test
    void failedRunsComeBeforeTheStoppedCheck() {
        backend.failRuns("/no/such/bin", new ExecutableNotFoundException("not here"));
        c.stop(true);
        assertThatThrownBy(() -> c.run(ProcessSpec.of("/no/such/bin").withId("x")))
                .isInstanceOf(ExecutableNotFoundException.class).hasMessage("not here");
    }

    @Test
    void reportedMetricsReplaceTheComputedOnes() {
        ContainerMetrics m = new ContainerMetrics(ContainerMetrics.MemoryStat.EMPTY, ContainerMetrics.CpuStat.EMPTY,
                ContainerMetrics.DiskStat.EMPTY, Optional.empty(), ContainerMetrics.PidStat.EMPTY, Duration.ofSeconds(5), 0);
        backend.container("f").reportMetrics(m);
        assertThat(c.metrics()).isEqualTo(m);
    }

    @Test
    void reportedCapacityReplacesTheDefault() {
        assertThat(backend.capacity().maxContainers()).isEqualTo(256);
        backend.reportCapacity(new dev.cloche.api.Capacity(1, 2, 0, 3));
        assertThat(backend.capacity()).isEqualTo(new dev.cloche.api.Capacity(1, 2, 0, 3));
    }

    @Test
    void appliedLimitsAreWhatNewContainersReport() {
        dev.cloche.api.Limits asked = dev.cloche.api.Limits.NONE.withBandwidth(new dev.cloche.api.BandwidthLimits(100, 200))
                .withMemory(new dev.cloche.api.MemoryLimits(64L << 20));
        backend.applyLimits(l -> l.withBandwidth(dev.cloche.api.BandwidthLimits.NONE));
        BackendContainer limited = backend.create(new BackendSpec(ContainerSpec.withHandle("l").withLimits(asked)));
        assertThat(limited.limits()).isEqualTo(asked.withBandwidth(dev.cloche.api.BandwidthLimits.NONE));
        assertThat(c.limits()).isEqualTo(dev.cloche.api.Limits.NONE); // made before
    }

    @Test
    void allocatedHostPortsStartAt61001() {
        assertThat(c.netIn(0, 8080).hostPort()).isEqualTo(61001);
        assertThat(c.netIn(0, 0).hostPort()).isEqualTo(61002);
    }
}
