package dev.cloche.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.Limits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A container's life: stop, destroy (and what it leaves: nothing), calls after destroy, a restart of the backend. */
public interface LifecycleConformance extends BackendUnderTest {

    @Test
    default void stopEndsProcessesAndMarksTheContainerStopped() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess p = c.run(sleeper().withId("s"));
        c.stop(true);
        assertThat(exitOf(p)).isEqualTo(137);
        assertThat(c.info().state()).isEqualTo("stopped");
    }

    /** The second destroy finds everything gone and still succeeds; the host holds nothing more and the handle is free. */
    @Test
    default void destroyIsIdempotentAndLeavesNothingBehind() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess p = c.run(sleeper().withId("s"));
        BackendInfo info = c.info();
        assertThat(resourcesOf(c.handle(), info)).as("what the host holds for a live container").isNotEmpty();
        c.destroy();
        c.destroy();
        assertThat(exitOf(p)).isEqualTo(137);
        long deadline = System.nanoTime() + 10_000_000_000L;
        List<String> left = resourcesOf(c.handle(), info);
        while (!left.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(100);
            left = resourcesOf(c.handle(), info);
        }
        assertThat(left).as("left on the host after destroy").isEmpty();
        BackendContainer again = create(ContainerSpec.withHandle(c.handle()));
        assertThat(again.info().state()).isEqualTo("active");
    }

    /** Every verb on a destroyed container is Garden's unknown handle (lookups of its processes may still answer). */
    @Test
    default void everyCallOnADestroyedContainerIsContainerNotFound() {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        Limits limits = c.limits();
        c.destroy();
        assertThat(c.handle()).isNotEmpty();
        List<ThrowingCallable> verbs = List.of(
                () -> c.run(echo("late").withId("late")),
                () -> c.stop(false),
                () -> c.stop(true),
                c::info,
                c::limits,
                () -> c.updateLimits(limits),
                c::metrics,
                () -> c.streamIn(new StreamInSpec("/tmp", "", new ByteArrayInputStream(new byte[1024]))),
                () -> c.streamOut(new StreamOutSpec("/tmp", "")).close(),
                () -> c.netIn(0, 8080),
                () -> c.netOut(List.of(new NetOutRule(NetOutRule.Protocol.TCP, List.of(), List.of(), Optional.empty(), false))));
        for (int i = 0; i < verbs.size(); i++) {
            assertThatThrownBy(verbs.get(i)).as("verb %d after destroy", i).isInstanceOf(ContainerNotFoundException.class);
        }
    }

    /**
     * A restarted backend finds the container, an exited process with its status and output, and a running one whose
     * output carries on from the first byte and whose stdin still reaches it.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void aRestartedBackendFindsTheContainerAndItsProcesses() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess done = c.run(emit("early", "late", 3).withId("done"));
        assertThat(exitOf(done)).isEqualTo(3);
        BackendProcess live = c.run(cat().withId("live"));
        live.stdin().write("before\n".getBytes(StandardCharsets.UTF_8));
        live.stdin().flush();
        try (InputStream out = live.openStdout()) {
            assertThat(readN(out, 7)).isEqualTo("before\n");
        }
        Optional<ContainerBackend> next = restart();
        assumeTrue(next.isPresent(), "the backend keeps nothing across a restart");
        RestoredContainer found = next.get().restore().stream().filter(r -> r.handle().equals(c.handle())).findFirst()
                .orElseThrow(() -> new AssertionError("the restarted backend did not find " + c.handle()));
        BackendContainer r = found.container().orElseThrow(() -> new AssertionError("restored broken: " + found.error()));
        adopt(r);
        assertThat(r.info().state()).isEqualTo("active");
        assertThat(r.processIds()).containsExactly("done", "live");

        BackendProcess rdone = r.process("done").orElseThrow();
        assertThat(exitOf(rdone)).isEqualTo(3);
        assertThat(readAll(rdone.openStdout())).isEqualTo("early\n");
        assertThat(readAll(rdone.openStderr())).isEqualTo("late\n");

        BackendProcess rlive = r.process("live").orElseThrow();
        if (!supports(Limitation.PROCESS_STREAMS_ACROSS_RESTART)) {
            // what the backend keeps: the output from before the restart, and the process to signal and reap
            try (InputStream out = rlive.openStdout()) {
                assertThat(readN(out, 7)).isEqualTo("before\n");
            }
            rlive.signal(Signal.KILL);
            assertThat(rlive.exit().get(30, java.util.concurrent.TimeUnit.SECONDS)).as("the restored process ends").isNotNull();
        } else {
        assertThat(rlive.exit()).isNotDone();
        try (InputStream out = rlive.openStdout()) {
            assertThat(readN(out, 7)).isEqualTo("before\n");
            rlive.stdin().write("after\n".getBytes(StandardCharsets.UTF_8));
            rlive.stdin().flush();
            assertThat(readN(out, 6)).isEqualTo("after\n");
        }
        rlive.signal(Signal.KILL);
        assertThat(exitOf(rlive)).isEqualTo(137);
        }
        BackendProcess fresh = r.run(echo("again").withId("fresh"));
        assertThat(exitOf(fresh)).isZero();
        assertThat(readAll(fresh.openStdout())).isEqualTo("again\n");
    }
}
