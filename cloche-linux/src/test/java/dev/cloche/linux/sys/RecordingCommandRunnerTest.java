package dev.cloche.linux.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.GardenError;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class RecordingCommandRunnerTest {
    @Test
    void checkTurnsANonZeroExitIntoAnInternalErrorWithStderr() {
        CommandRunner r = new RecordingCommandRunner(argv -> new CommandResult(2, "", "boom\n"));
        assertThatThrownBy(() -> r.check(List.of("x", "y"))).isInstanceOf(GardenError.class).hasMessageContaining("x y failed (exit 2): boom");
    }

    @Test
    void realRunnerCapturesOutputAndExitCode() {
        CommandResult r = TestShell.run(List.of("sh", "-c", "echo out; echo err >&2; exit 4"));
        assertThat(r).isEqualTo(new CommandResult(4, "out\n", "err\n"));
    }

    @Test
    void realRunnerReturnsWhenAGrandchildKeepsTheOutputOpen() {
        long t0 = System.nanoTime();
        CommandResult r = TestShell.run(List.of("sh", "-c", "sleep 3 & echo started"));
        assertThat(r.stdout()).isEqualTo("started\n");
        assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(2));
    }
}
