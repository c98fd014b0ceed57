package dev.cloche.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class TaskCodecTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void startWithBothLimitsOneLimitOrNone() {
        TaskStart s = TaskCodec.decodeStart(b("{\"task\":\"t1\",\"secure_token\":\"tok\",\"memory_limit\":64,\"disk_limit\":100}"));
        assertThat(s).isEqualTo(new TaskStart("t1", "tok", OptionalLong.of(64), OptionalLong.of(100)));
        assertThat(TaskCodec.decodeStart(b("{\"task\":\"t1\",\"secure_token\":\"tok\",\"disk_limit\":5}")).memoryLimitMiB()).isEmpty();
        TaskStart none = TaskCodec.decodeStart(b("{\"task\":\"t1\",\"secure_token\":\"tok\",\"extra\":true}"));
        assertThat(none.memoryLimitMiB()).isEmpty();
        assertThat(none.diskLimitMiB()).isEmpty();
        assertThat(TaskCodec.decodeStart(TaskCodec.encode(s))).isEqualTo(s);
    }

    @Test
    void aStartMayNameTheTasksImage() {
        TaskStart s = TaskCodec.decodeStart(b("{\"task\":\"t1\",\"secure_token\":\"tok\",\"image\":\"docker:///debian#12\"}"));
        assertThat(s.image()).isEqualTo("docker:///debian#12");
        assertThat(TaskCodec.decodeStart(TaskCodec.encode(s))).isEqualTo(s);
        assertThat(new String(TaskCodec.encode(new TaskStart("t1", "tok", OptionalLong.empty(), OptionalLong.empty())),
                StandardCharsets.UTF_8)).as("no image key for the default rootfs").doesNotContain("image");
    }

    @Test
    void forwardingIsOffUnlessTheStartAllowsIt() {
        assertThat(TaskCodec.decodeStart(b("{\"task\":\"t1\",\"secure_token\":\"tok\"}")).allowForwarding()).isFalse();
        assertThat(TaskCodec.decodeStart(b("{\"task\":\"t1\",\"secure_token\":\"tok\",\"allow_forwarding\":false}")).allowForwarding()).isFalse();
        TaskStart s = TaskCodec.decodeStart(b("{\"task\":\"t1\",\"secure_token\":\"tok\",\"allow_forwarding\":true}"));
        assertThat(s.allowForwarding()).isTrue();
        assertThat(s).isEqualTo(new TaskStart("t1", "tok", OptionalLong.empty(), OptionalLong.empty()).withForwarding());
        assertThat(TaskCodec.decodeStart(TaskCodec.encode(s))).isEqualTo(s);
        assertThat(new String(TaskCodec.encode(new TaskStart("t1", "tok", OptionalLong.empty(), OptionalLong.empty())),
                StandardCharsets.UTF_8)).doesNotContain("allow_forwarding");
        for (String bad : new String[] {"\"true\"", "1", "[]", "{}"}) {
            assertThatThrownBy(() -> TaskCodec.decodeStart(b("{\"task\":\"t1\",\"secure_token\":\"tok\",\"allow_forwarding\":" + bad + "}")))
                    .as(bad).isInstanceOf(MalformedMessageException.class).hasMessageContaining("allow_forwarding");
        }
    }

    @Test
    void recordingIsOptInAndInputOnlyWithIt() {
        TaskStart plain = TaskCodec.decodeStart(b("{\"task\":\"t1\",\"secure_token\":\"tok\"}"));
        assertThat(plain.record()).isFalse();
        assertThat(plain.recordInput()).isFalse();
        TaskStart s = TaskCodec.decodeStart(b("{\"task\":\"t1\",\"secure_token\":\"tok\",\"record\":true,\"record_input\":true}"));
        assertThat(s).isEqualTo(plain.withRecording(true));
        assertThat(TaskCodec.decodeStart(TaskCodec.encode(s))).isEqualTo(s);
        assertThat(TaskCodec.decodeStart(TaskCodec.encode(plain.withRecording(false))).recordInput()).isFalse();
        assertThat(new String(TaskCodec.encode(plain), StandardCharsets.UTF_8)).doesNotContain("record");
        for (String bad : new String[] {"\"record\":\"yes\"", "\"record\":1", "\"record_input\":[]",
                "\"record_input\":true", "\"record\":false,\"record_input\":true"}) {
            assertThatThrownBy(() -> TaskCodec.decodeStart(b("{\"task\":\"t1\",\"secure_token\":\"tok\"," + bad + "}")))
                    .as(bad).isInstanceOf(MalformedMessageException.class).hasMessageContaining("record");
        }
        assertThat(s.toString()).contains("record").doesNotContain("tok]");
    }

    @Test
    void onlyTheLegacyScpProtocolsServerSideIsRecognisedAsScp() {
        assertThat(RefusedCommand.isLegacyScp("scp -t /tmp/x")).isTrue();
        assertThat(RefusedCommand.isLegacyScp("scp -f /tmp/x")).isTrue();
        assertThat(RefusedCommand.isLegacyScp("scp -v -r -t -- /tmp")).isTrue();
        assertThat(RefusedCommand.isLegacyScp("scp -pt /tmp")).isTrue();
        assertThat(RefusedCommand.isLegacyScp("echo scp -t")).isFalse();
        assertThat(RefusedCommand.isLegacyScp("scpx -t /tmp")).isFalse();
        assertThat(RefusedCommand.isLegacyScp("ls -t")).isFalse();
    }

    @Test
    void malformedStartsAreRefusedWithAReason() {
        for (String bad : new String[] {"", "not json", "[1]", "42", "{}", "{\"task\":1,\"secure_token\":\"x\"}",
                "{\"task\":\"t\"}", "{\"task\":\"t\",\"secure_token\":\"\"}", "{\"task\":\"../x\",\"secure_token\":\"x\"}",
                "{\"task\":\"t\",\"secure_token\":\"x\",\"memory_limit\":\"64\"}",
                "{\"task\":\"t\",\"secure_token\":\"x\",\"memory_limit\":1.5}",
                "{\"task\":\"t\",\"secure_token\":\"x\",\"disk_limit\":-1}",
                "{\"task\":\"t\",\"secure_token\":\"x\",\"image\":7}"}) {
            assertThatThrownBy(() -> TaskCodec.decodeStart(b(bad))).as(bad).isInstanceOf(MalformedMessageException.class);
        }
        assertThat(TaskCodec.taskIdOrEmpty(b("{\"task\":\"t9\",\"secure_token\":5}"))).isEqualTo("t9");
        assertThat(TaskCodec.taskIdOrEmpty(b("nope"))).isEmpty();
    }

    @Test
    void theTokenNeverAppearsInToString() {
        assertThat(new TaskStart("t1", "s3cret-token", OptionalLong.empty(), OptionalLong.empty()).toString())
                .doesNotContain("s3cret-token");
    }

    @Test
    void advertisementAndReplyRoundTrip() {
        Advertisement a = new Advertisement("a1", 1000, 2000);
        assertThat(new String(TaskCodec.encode(a), StandardCharsets.UTF_8))
                .isEqualTo("{\"id\":\"a1\",\"available_memory\":1000,\"available_disk\":2000}");
        assertThat(TaskCodec.decodeAdvertisement(TaskCodec.encode(a))).isEqualTo(a);
        TaskReply ok = TaskReply.started("t1", "a1", "127.0.0.1", 2222);
        assertThat(TaskCodec.decodeReply(TaskCodec.encode(ok))).isEqualTo(ok);
        TaskReply no = TaskReply.failed("t1", "a1", "duplicate task id: t1");
        assertThat(TaskCodec.decodeReply(TaskCodec.encode(no))).isEqualTo(no);
        assertThat(TaskCodec.decodeStop(TaskCodec.encode(new TaskStop("t1")))).isEqualTo(new TaskStop("t1"));
    }
}
