package dev.cloche.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Processes: exit status, output replayed to every reader, stdin, signals, typed start failures. */
public interface ProcessConformance extends BackendUnderTest {

    @Test
    default void runsAProcessAndReplaysItsOutputToEveryReader() throws Exception {
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
    default void stdinReachesTheProcessAndClosingItEndsIt() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess p = c.run(cat().withId("cat"));
        p.stdin().write("to stdin\n".getBytes(StandardCharsets.UTF_8));
        p.stdin().flush();
        p.stdin().close();
        assertThat(exitOf(p)).isZero();
        assertThat(readAll(p.openStdout())).isEqualTo("to stdin\n");
    }

    @Test
    default void signalsGive128PlusSigno() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess term = c.run(sleeper().withId("t"));
        BackendProcess kill = c.run(sleeper().withId("k"));
        term.signal(Signal.TERMINATE);
        kill.signal(Signal.KILL);
        assertThat(exitOf(term)).isEqualTo(143);
        assertThat(exitOf(kill)).isEqualTo(137);
    }

    @Test
    default void aMissingExecutableIsTyped() {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        assertThatThrownBy(() -> c.run(ProcessSpec.of("/no/such/missing-binary").withId("x")))
                .isInstanceOf(ExecutableNotFoundException.class);
    }

    @Test
    default void manyFastProcessesNeverLoseOutput() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        for (int i = 0; i < 20; i++) {
            BackendProcess p = c.run(echo("n" + i).withId("e" + i));
            assertThat(exitOf(p)).isZero();
            assertThat(readAll(p.openStdout())).isEqualTo("n" + i + "\n");
        }
    }
}
