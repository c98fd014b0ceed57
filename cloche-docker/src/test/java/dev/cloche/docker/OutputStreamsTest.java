package dev.cloche.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The engine's multiplexed stream split into the two output files, and readers that replay and follow them. */
class OutputStreamsTest {
    @TempDir
    Path dir;

    private static byte[] frame(int type, String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(type);
        b.writeBytes(new byte[] {0, 0, 0});
        b.writeBytes(new byte[] {(byte) (payload.length >>> 24), (byte) (payload.length >>> 16), (byte) (payload.length >>> 8), (byte) payload.length});
        b.writeBytes(payload);
        return b.toByteArray();
    }

    private static String read(InputStream in) throws IOException {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void framesGoToTheirStreamsInOrder() throws IOException {
        OutputFile out = OutputFile.create(dir.resolve("stdout"));
        OutputFile err = OutputFile.create(dir.resolve("stderr"));
        ByteArrayOutputStream wire = new ByteArrayOutputStream();
        wire.writeBytes(frame(1, "one "));
        wire.writeBytes(frame(2, "oops"));
        wire.writeBytes(frame(1, "two".repeat(30000))); // larger than the copy buffer
        ExecSession.pump(new ByteArrayInputStream(wire.toByteArray()), false, out, err);
        out.end();
        err.end();
        assertThat(read(out.open())).isEqualTo("one " + "two".repeat(30000));
        assertThat(read(err.open())).isEqualTo("oops");
    }

    @Test
    void aTruncatedFrameIsAnErrorNotSilentLoss() throws IOException {
        OutputFile out = OutputFile.create(dir.resolve("stdout"));
        OutputFile err = OutputFile.create(dir.resolve("stderr"));
        byte[] f = frame(1, "complete?");
        byte[] cut = java.util.Arrays.copyOf(f, f.length - 3);
        assertThatThrownBy(() -> ExecSession.pump(new ByteArrayInputStream(cut), false, out, err)).isInstanceOf(IOException.class);
    }

    @Test
    void underATtyEverythingIsStdoutAsItCame() throws IOException {
        OutputFile out = OutputFile.create(dir.resolve("stdout"));
        OutputFile err = OutputFile.create(dir.resolve("stderr"));
        ExecSession.pump(new ByteArrayInputStream("raw\r\nbytes".getBytes(StandardCharsets.UTF_8)), true, out, err);
        out.end();
        err.end();
        assertThat(read(out.open())).isEqualTo("raw\r\nbytes");
        assertThat(read(err.open())).isEmpty();
    }

    /** A reader opened before any output blocks, follows appends live, and ends only when the stream ends. */
    @Test
    void aReaderFollowsLiveOutputUntilTheEnd() throws Exception {
        OutputFile out = OutputFile.create(dir.resolve("stdout"));
        InputStream reader = out.open();
        CompletableFuture<String> all = CompletableFuture.supplyAsync(() -> {
            try {
                return read(reader);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        out.append("a".getBytes(StandardCharsets.UTF_8), 0, 1);
        Thread.sleep(50);
        assertThat(all).isNotDone();
        out.append("bc".getBytes(StandardCharsets.UTF_8), 0, 2);
        out.end();
        assertThat(all.get(5, TimeUnit.SECONDS)).isEqualTo("abc");
        assertThat(read(out.open())).as("a late reader replays from byte 0").isEqualTo("abc");
        assertThat(read(OutputFile.ended(dir.resolve("stdout")).open())).as("after a restart").isEqualTo("abc");
    }
}
