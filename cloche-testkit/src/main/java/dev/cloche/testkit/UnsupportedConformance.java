package dev.cloche.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloche.api.BandwidthLimits;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.NetOutRule;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/** Every {@link Limitation} a backend declares is refused with a typed error that says so, and changes nothing. */
public interface UnsupportedConformance extends BackendUnderTest {

    private void assertRefused(ThrowingCallable call, String what) {
        assertThatThrownBy(call).as(what).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("not supported");
    }

    private static NetOutRule anyRule() {
        return new NetOutRule(NetOutRule.Protocol.TCP, List.of(new NetOutRule.IpRange("10.0.0.1", "10.0.0.1")),
                List.of(new NetOutRule.PortRange(80, 80)), Optional.empty(), false);
    }

    @Test
    default void netInAfterCreateIsRefusedWhenDeclared() {
        assumeFalse(supports(Limitation.NET_IN_AFTER_CREATE));
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        assertRefused(() -> c.netIn(0, 8080), "netIn on a live container");
        assertThat(c.info().mappedPorts()).isEmpty();
    }

    @Test
    default void netOutRulesAreRefusedWhenDeclared() {
        assumeFalse(supports(Limitation.NET_OUT_RULES));
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        assertRefused(() -> c.netOut(List.of(anyRule())), "netOut on a live container");
        String handle = uniqueHandle();
        ContainerSpec withRule = new ContainerSpec(handle, java.time.Duration.ZERO, "", dev.cloche.api.ImageRef.NONE,
                List.of(), "", java.util.Map.of(), List.of(), false, Limits.NONE, List.of(anyRule()), List.of());
        assertRefused(() -> create(withRule), "a NetOut rule in the container spec");
    }

    @Test
    default void bandwidthLimitsAreRefusedWhenDeclared() {
        assumeFalse(supports(Limitation.BANDWIDTH_LIMITS));
        assertRefused(() -> create(ContainerSpec.withHandle(uniqueHandle())
                .withLimits(Limits.NONE.withBandwidth(new BandwidthLimits(1 << 20, 1 << 20)))), "a bandwidth limit");
    }

    @Test
    default void diskLimitsAreRefusedWhenDeclared() {
        assumeFalse(supports(Limitation.DISK_LIMITS));
        assertRefused(() -> create(ContainerSpec.withHandle(uniqueHandle())
                .withLimits(Limits.NONE.withDisk(new DiskLimits(0, 0, 0, 64L << 20, DiskLimits.DiskLimitScope.TOTAL)))),
                "a disk limit");
    }

    @Test
    default void liveLimitChangesAreRefusedWhenDeclared() {
        assumeFalse(supports(Limitation.LIVE_LIMIT_CHANGES));
        Limits initial = Limits.NONE.withMemory(new dev.cloche.api.MemoryLimits(64L << 20));
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()).withLimits(initial));
        assertRefused(() -> c.updateLimits(initial.withMemory(new dev.cloche.api.MemoryLimits(128L << 20))),
                "a memory limit change on a live container");
        assertThat(c.limits().memory()).isEqualTo(initial.memory());
        assertThat(appliedLimits(c).memory()).isEqualTo(initial.memory());
    }

    /** The stdin of a process that ran across a restart is refused, not swallowed. */
    @Test
    default void stdinAcrossARestartIsRefusedWhenDeclared() throws Exception {
        assumeFalse(supports(Limitation.PROCESS_STREAMS_ACROSS_RESTART));
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess live = c.run(sleeper().withId("live"));
        assertThat(live.exit()).isNotDone();
        Optional<ContainerBackend> next = restart();
        assumeTrue(next.isPresent(), "the backend keeps nothing across a restart");
        RestoredContainer found = next.get().restore().stream().filter(r -> r.handle().equals(c.handle())).findFirst()
                .orElseThrow();
        BackendContainer r = found.container().orElseThrow();
        adopt(r);
        BackendProcess restored = r.process("live").orElseThrow();
        assertRefused(() -> restored.stdin().write("late\n".getBytes(StandardCharsets.UTF_8)), "stdin after a restart");
        try (InputStream out = restored.openStdout()) {
            assertThat(readAll(out)).isEmpty();
        }
    }
}
