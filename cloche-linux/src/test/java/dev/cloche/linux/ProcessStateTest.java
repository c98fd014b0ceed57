package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.linux.ProcessState.Closed;
import dev.cloche.linux.ProcessState.Exited;
import dev.cloche.linux.ProcessState.Monitor;
import dev.cloche.linux.ProcessState.Orphaned;
import dev.cloche.linux.ProcessState.Running;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ProcessStateTest {
    private static final Monitor MONITOR = new Monitor(10, Optional.empty());

    @Test
    void aStartRunsThenExitsThenIsClosedKeepingItsStatus() {
        ProcessState s = ProcessState.STARTING;
        assertThat(s.ended()).isFalse();
        assertThat(s.monitor()).isEqualTo(Monitor.NONE);
        s = s.started(11, MONITOR);
        assertThat(s).isEqualTo(new Running(11, MONITOR));
        s = s.exited(3);
        assertThat(s).isEqualTo(new Exited(3, MONITOR));
        assertThat(s.exitCode()).hasValue(3);
        assertThat(s.closed(OptionalInt.of(9))).isEqualTo(new Closed(3, MONITOR));
    }

    @Test
    void anExitSeenBeforeTheStartCompletedStandsAndLearnsItsMonitor() {
        ProcessState s = ProcessState.STARTING.exited(0);
        assertThat(s).isEqualTo(new Exited(0, Monitor.NONE));
        assertThat(s.started(11, MONITOR)).isEqualTo(new Exited(0, MONITOR));
        assertThat(s.started(11, MONITOR).started(12, new Monitor(20, Optional.empty()))).isEqualTo(new Exited(0, MONITOR));
    }

    @Test
    void terminalStatesIgnoreLateEvents() {
        ProcessState closed = new Running(11, MONITOR).closed(OptionalInt.empty());
        assertThat(closed).isEqualTo(new Closed(ProcessState.LOST_EXIT, MONITOR));
        assertThat(closed.exited(0)).isSameAs(closed);
        assertThat(closed.started(1, Monitor.NONE)).isSameAs(closed);
        assertThat(closed.closed(OptionalInt.of(0))).isSameAs(closed);
        ProcessState exited = new Exited(4, MONITOR);
        assertThat(exited.exited(5)).isSameAs(exited);
        assertThat(exited.withPid(7)).isSameAs(exited);
    }

    @Test
    void closingARunningProcessTakesTheRecordedStatusIfThereIsOne() {
        assertThat(new Running(11, MONITOR).closed(OptionalInt.of(0))).isEqualTo(new Closed(0, MONITOR));
        assertThat(ProcessState.STARTING.closed(OptionalInt.empty())).isEqualTo(new Closed(ProcessState.LOST_EXIT, Monitor.NONE));
    }

    @Test
    void anOrphanHasLostItsStatusAndStaysLostWhenClosed() {
        ProcessState orphan = new Orphaned(11, MONITOR);
        assertThat(orphan.ended()).isTrue();
        assertThat(orphan.exitCode()).hasValue(ProcessState.LOST_EXIT);
        assertThat(orphan.exited(0)).isSameAs(orphan);
        assertThat(orphan.closed(OptionalInt.of(0))).isEqualTo(new Closed(ProcessState.LOST_EXIT, MONITOR));
    }

    @Test
    void aRunningProcessRestoredWithoutAPidLearnsItOnce() {
        ProcessState s = new Running(-1, MONITOR).withPid(11);
        assertThat(s).isEqualTo(new Running(11, MONITOR));
        assertThat(s.withPid(12)).isSameAs(s);
    }
}
