package dev.cloche.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link ContainerBackend} must do, fakes included. A backend's test subclasses this and says how to
 * build the backend and how its processes spell the few commands the suite needs.
 */
public abstract class BackendConformance {

    private final List<BackendContainer> created = new ArrayList<>();

    /** The backend under test (built once per test). */
    protected abstract ContainerBackend backend();

    /** A process that prints {@code text} and a newline on stdout and exits 0. */
    protected abstract ProcessSpec echo(String text);

    /** A process that prints {@code out} on stdout, {@code err} on stderr, and exits with {@code code}. */
    protected abstract ProcessSpec emit(String out, String err, int code);

    /** A process that runs until it is signalled. */
    protected abstract ProcessSpec sleeper();

    /** A process that copies stdin to stdout until stdin is closed, then exits 0. */
    protected abstract ProcessSpec cat();

    protected BackendContainer create(ContainerSpec spec) {
        BackendContainer c = backend().create(new BackendSpec(spec));
        created.add(c);
        return c;
    }

    protected static String uniqueHandle() {
        return "conf-" + UUID.randomUUID().toString().substring(0, 8);
    }

    @AfterEach
    void destroyCreated() {
        for (BackendContainer c : created) {
            c.destroy();
        }
    }

    protected static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    protected static int exitOf(BackendProcess p) throws Exception {
        return p.exit().get(30, TimeUnit.SECONDS);
    }

    @Test
    void runsAProcessAndReplaysItsOutputToEveryReader() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess p = c.run(emit("out", "err", 3).withId("p1"));
        assertThat(exitOf(p)).isEqualTo(3);
        assertThat(readAll(p.openStdout())).isEqualTo("out\n");
        assertThat(readAll(p.openStderr())).isEqualTo("err\n");
        // A reader opened after exit sees everything again.
        assertThat(readAll(p.openStdout())).isEqualTo("out\n");
        assertThat(c.process("p1")).containsSame(p);
        assertThat(c.processIds()).contains("p1");
    }

    @Test
    void stdinReachesTheProcessAndClosingItEndsIt() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess p = c.run(cat().withId("cat"));
        p.stdin().write("to stdin\n".getBytes(StandardCharsets.UTF_8));
        p.stdin().flush();
        p.stdin().close();
        assertThat(exitOf(p)).isZero();
        assertThat(readAll(p.openStdout())).isEqualTo("to stdin\n");
    }

    @Test
    void signalsGive128PlusSigno() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess term = c.run(sleeper().withId("t"));
        BackendProcess kill = c.run(sleeper().withId("k"));
        term.signal(Signal.TERMINATE);
        kill.signal(Signal.KILL);
        assertThat(exitOf(term)).isEqualTo(143);
        assertThat(exitOf(kill)).isEqualTo(137);
    }

    @Test
    void aMissingExecutableIsTyped() {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        assertThatThrownBy(() -> c.run(ProcessSpec.of("/no/such/missing-binary").withId("x")))
                .isInstanceOf(ExecutableNotFoundException.class);
    }

    @Test
    void limitsAreReportedAsApplied() {
        Limits limits = Limits.NONE.withMemory(new MemoryLimits(64L << 20)).withPid(new PidLimits(50));
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()).withLimits(limits));
        assertThat(c.limits().memory()).isEqualTo(new MemoryLimits(64L << 20));
        assertThat(c.limits().pid()).isEqualTo(new PidLimits(50));
        assertThat(c.limits().disk().byteHard()).isZero();
    }

    @Test
    void stopEndsProcessesAndMarksTheContainerStopped() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess p = c.run(sleeper().withId("s"));
        c.stop(true);
        assertThat(exitOf(p)).isEqualTo(137);
        assertThat(c.info().state()).isEqualTo("stopped");
    }

    @Test
    void destroyIsIdempotent() {
        BackendContainer c = backend().create(new BackendSpec(ContainerSpec.withHandle(uniqueHandle())));
        c.destroy();
        c.destroy();
    }

    @Test
    void manyFastProcessesNeverLoseOutput() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        for (int i = 0; i < 20; i++) {
            BackendProcess p = c.run(echo("n" + i).withId("e" + i));
            assertThat(exitOf(p)).isZero();
            assertThat(readAll(p.openStdout())).isEqualTo("n" + i + "\n");
        }
    }

    @Test
    void memoryAndCpuLimitsChangeOnALiveContainerOtherLimitsDoNot() throws Exception {
        Limits initial = Limits.NONE.withMemory(new MemoryLimits(64L << 20)).withPid(new PidLimits(100));
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()).withLimits(initial));
        BackendProcess p = c.run(sleeper().withId("live"));
        Limits raised = initial.withMemory(new MemoryLimits(128L << 20)).withCpu(new dev.cloche.api.CpuLimits(512, 0));
        c.updateLimits(raised);
        assertThat(c.limits()).isEqualTo(raised);
        assertThat(p.exit()).isNotDone(); // live: the running process is untouched
        assertThatThrownBy(() -> c.updateLimits(raised.withPid(new PidLimits(5))))
                .isInstanceOf(dev.cloche.api.InvalidRequestException.class);
        assertThat(c.limits()).isEqualTo(raised);
        p.signal(Signal.KILL);
        exitOf(p);
    }
}
