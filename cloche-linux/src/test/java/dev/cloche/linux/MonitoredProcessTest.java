package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.GardenError;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.linux.ProcessState.Exited;
import dev.cloche.linux.ProcessState.Monitor;
import dev.cloche.linux.ProcessState.Running;
import dev.cloche.linux.sys.FakeProcessTable;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitoredProcessTest {
    @TempDir Path tmp;
    private final FakeProcessTable table = new FakeProcessTable();

    private MonitoredProcess process(ProcessState state, boolean tty) {
        return new MonitoredProcess("p", new Depot.ProcessDir(tmp), tty, table, state);
    }

    @Test
    void signalsReachTheProcessOnlyWhileItIsTheMonitorsChild() {
        Monitor monitor = new Monitor(10, table.find(10));
        table.add(11, 10, "sh");
        process(new Running(11, monitor), false).signal(Signal.KILL);
        assertThat(table.signals()).containsExactly("KILL 11");

        table.add(12, 1, "someone-else"); // the pid was reused after the process was reaped
        process(new Running(12, monitor), false).signal(Signal.TERMINATE);
        assertThat(table.signals()).containsExactly("KILL 11");

        table.add(13, 10, "sh");
        process(new Exited(0, monitor), false).signal(Signal.KILL);
        assertThat(table.signals()).as("an ended process is not signalled").containsExactly("KILL 11");
    }

    @Test
    void aPidNotKnownYetIsReadFromTheRuntimesPidFile() throws IOException {
        table.add(14, 10, "sh");
        MonitoredProcess p = process(new Running(-1, new Monitor(10, Optional.empty())), false);
        assertThatThrownBy(() -> p.signal(Signal.KILL)).isInstanceOf(GardenError.class).hasMessageContaining("has no pid yet");
        Files.writeString(tmp.resolve("pid"), "14\n");
        p.signal(Signal.TERMINATE);
        assertThat(table.signals()).containsExactly("TERM 14");
        assertThat(p.state()).isEqualTo(new Running(14, new Monitor(10, Optional.empty())));
    }

    @Test
    void withoutATerminalOrAMonitorThereIsNothingToResize() {
        process(new Running(11, Monitor.NONE), false).resize(TtySpec.of(100, 30));
        process(new Exited(0, Monitor.NONE), true).resize(TtySpec.of(100, 30));
        // a terminal whose monitor is gone: nobody reads ctl
        process(new Running(11, Monitor.NONE), true).resize(TtySpec.of(100, 30));
        assertThat(tmp.resolve("ctl")).doesNotExist();
    }

    @Test
    void closingLetsGoWithTheRecordedStatusOrReportsItLost() throws Exception {
        MonitoredProcess lost = process(new Running(11, Monitor.NONE), false);
        lost.close();
        assertThat(lost.exit()).isCompletedWithValue(MonitoredProcess.LOST_EXIT);
        assertThat(lost.openStdout().read()).as("readers end").isEqualTo(-1);
        lost.stdin().write(1); // discarded: nobody reads

        Files.writeString(tmp.resolve("exit"), "7");
        MonitoredProcess recorded = process(new Running(11, Monitor.NONE), true);
        recorded.close();
        assertThat(recorded.exit()).isCompletedWithValue(7);
        assertThat(recorded.openStderr().read()).as("a terminal merges stderr into stdout").isEqualTo(-1);
    }
}
