package dev.cloche.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.console.TaskCodec;
import dev.cloche.console.TaskStart;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** What `cloche console start` asks an agent for: its options become the task.start message. */
class ConsoleStartTest {

    private static TaskStart parsed(String... args) {
        ConsoleCommand.Start start = new ConsoleCommand.Start();
        new CommandLine(start).parseArgs(args);
        return start.taskStart("t-1", "secret");
    }

    @Test
    void defaultsAskForTheAgentsRootfsWithoutForwarding() {
        TaskStart s = parsed();
        assertThat(s.image()).isEmpty();
        assertThat(s.allowForwarding()).isFalse();
        assertThat(s.memoryLimitMiB()).isEmpty();
    }

    @Test
    void imageMemoryAndForwardingReachTheMessage() {
        TaskStart s = parsed("--image", "docker:///busybox#1.36", "--memory", "64", "--allow-forwarding");
        assertThat(s.image()).isEqualTo("docker:///busybox#1.36");
        assertThat(s.allowForwarding()).isTrue();
        assertThat(s.memoryLimitMiB()).hasValue(64);
        String json = new String(TaskCodec.encode(s), StandardCharsets.UTF_8);
        assertThat(json).contains("\"image\":\"docker:///busybox#1.36\"").contains("\"allow_forwarding\":true");
        assertThat(TaskCodec.decodeStart(TaskCodec.encode(s))).isEqualTo(s);
    }

    @Test
    void recordInputImpliesRecord() {
        assertThat(parsed().record()).isFalse();
        TaskStart r = parsed("--record");
        assertThat(r.record()).isTrue();
        assertThat(r.recordInput()).isFalse();
        TaskStart i = parsed("--record-input");
        assertThat(i.record()).isTrue();
        assertThat(i.recordInput()).isTrue();
    }

    @Test
    void recordingsListAndPlayParse() {
        ConsoleCommand.RecordingsCommand list = new ConsoleCommand.RecordingsCommand();
        new CommandLine(list).parseArgs("--dir", "/tmp/r", "--task", "t1");
        assertThat(list.dir).isEqualTo(java.nio.file.Path.of("/tmp/r"));
        assertThat(list.task).isEqualTo("t1");
        ConsoleCommand.Play play = new ConsoleCommand.Play();
        new CommandLine(play).parseArgs("--speed", "4", "--no-wait", "/tmp/r/t1/s.cast");
        assertThat(play.speed).isEqualTo(4.0);
        assertThat(play.noWait).isTrue();
    }
}
