package dev.cloche.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.api.Signal;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

/** Limits as the kernel applies them (read back through {@link #appliedLimits}), live changes, and metrics. */
public interface LimitConformance extends BackendUnderTest {

    @Test
    default void limitsAreReportedAsApplied() {
        Limits limits = Limits.NONE.withMemory(new MemoryLimits(64L << 20)).withPid(new PidLimits(50));
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()).withLimits(limits));
        assertThat(c.limits().memory()).isEqualTo(new MemoryLimits(64L << 20));
        assertThat(c.limits().pid()).isEqualTo(new PidLimits(50));
        assertThat(c.limits().disk().byteHard()).isZero();
        Limits applied = appliedLimits(c);
        assertThat(applied.memory()).as("memory limit the kernel enforces").isEqualTo(new MemoryLimits(64L << 20));
        assertThat(applied.pid()).as("pid limit the kernel enforces").isEqualTo(new PidLimits(50));
    }

    @Test
    default void memoryAndCpuLimitsChangeOnALiveContainerOtherLimitsDoNot() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(supports(Limitation.LIVE_LIMIT_CHANGES),
                "declared unsupported: UnsupportedConformance checks the refusal");
        Limits initial = Limits.NONE.withMemory(new MemoryLimits(64L << 20)).withPid(new PidLimits(100));
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()).withLimits(initial));
        BackendProcess p = c.run(sleeper().withId("live"));
        assertThat(appliedLimits(c).memory()).isEqualTo(new MemoryLimits(64L << 20));
        Limits raised = initial.withMemory(new MemoryLimits(128L << 20)).withCpu(new CpuLimits(512, 0));
        c.updateLimits(raised);
        assertThat(c.limits()).isEqualTo(raised);
        assertApplied(c, raised);
        assertThat(p.exit()).isNotDone(); // live: the running process is untouched
        assertThatThrownBy(() -> c.updateLimits(raised.withPid(new PidLimits(5))))
                .isInstanceOf(InvalidRequestException.class);
        assertThat(c.limits()).isEqualTo(raised);
        assertApplied(c, raised);
        p.signal(Signal.KILL);
        exitOf(p);
    }

    private void assertApplied(BackendContainer c, Limits expected) {
        Limits applied = appliedLimits(c);
        assertThat(applied.memory()).as("memory limit the kernel enforces").isEqualTo(expected.memory());
        assertThat(applied.cpu().effectiveShares()).as("cpu shares the kernel applies").isEqualTo(expected.cpu().effectiveShares());
        assertThat(applied.pid()).as("pid limit the kernel enforces").isEqualTo(expected.pid());
    }

    @Test
    default void metricsOfABusyContainerAreNonZeroAndCpuGrows() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess p = c.run(busy().withId("busy"));
        ContainerMetrics m = awaitMetrics(c, x -> x.cpu().usage() > 0 && x.memory().totalUsageTowardLimit() > 0 && x.pid().current() > 0);
        assertThat(m.memory().totalUsageTowardLimit()).isPositive();
        assertThat(m.cpu().usage()).isPositive();
        assertThat(m.pid().current()).isPositive();
        assertThat(m.age()).isPositive();
        long used = m.cpu().usage();
        assertThat(awaitMetrics(c, x -> x.cpu().usage() > used).cpu().usage()).as("cpu usage while busy").isGreaterThan(used);
        p.signal(Signal.KILL);
        assertThat(exitOf(p)).isEqualTo(137);
    }

    /** The container's metrics once they satisfy {@code ready}, or as they are after 10 s. */
    private static ContainerMetrics awaitMetrics(BackendContainer c, Predicate<ContainerMetrics> ready) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        ContainerMetrics m = c.metrics();
        while (!ready.test(m) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            m = c.metrics();
        }
        return m;
    }
}
