package dev.cloche.console.recording;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** asciicast files: what is written, where, with which permissions, and how they are listed and replayed. */
class RecordingsTest {
    @TempDir
    Path tmp;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void writesTheHeaderAndTimedEventsAndKeepsSplitCharactersWhole() throws Exception {
        StringWriter w = new StringWriter();
        AtomicLong nanos = new AtomicLong(1_000);
        var rec = new AsciicastRecording(w, "t/s", 100, 30, Instant.ofEpochSecond(1_700_000_000),
                Map.of("TERM", "xterm"), false, nanos::get);
        nanos.addAndGet(1_500_000_000L);
        rec.output(b("hi\n"), 0, 3);
        byte[] e = b("é\"\u001b[0m");
        rec.output(e, 0, 1); // half of é: held back
        nanos.addAndGet(250_000_000L);
        rec.output(e, 1, e.length - 1);
        rec.input(b("secret\r"), 0, 7); // input not asked for
        rec.resize(120, 40);
        rec.close();
        rec.output(b("late"), 0, 4);
        assertThat(w.toString().lines().toList()).containsExactly(
                "{\"version\":2,\"width\":100,\"height\":30,\"timestamp\":1700000000,\"env\":{\"TERM\":\"xterm\"}}",
                "[1.5,\"o\",\"hi\\n\"]",
                "[1.75,\"o\",\"é\\\"\\u001B[0m\"]",
                "[1.75,\"r\",\"120x40\"]");
    }

    @Test
    void inputIsRecordedOnlyWhenAskedFor() throws Exception {
        StringWriter w = new StringWriter();
        var rec = new AsciicastRecording(w, "t/s", 80, 24, Instant.EPOCH, Map.of(), true, () -> 0);
        rec.input(b("ls\r"), 0, 3);
        assertThat(w.toString().lines().skip(1).toList()).containsExactly("[0.0,\"i\",\"ls\\r\"]");
    }

    @Test
    void filesArePrivateAndListedPerTaskOldestFirst() throws Exception {
        Path dir = tmp.resolve("recordings");
        Clock first = Clock.fixed(Instant.parse("2026-12-05T10:00:00Z"), ZoneOffset.UTC);
        Clock later = Clock.fixed(Instant.parse("2026-12-05T11:00:00Z"), ZoneOffset.UTC);
        try (var r = new Recordings(dir, later).open("t1", 80, 24, Map.of(), false)) {
            r.output(b("two"), 0, 3);
        }
        try (var r = new Recordings(dir, first).open("t1", 80, 24, Map.of(), false)) {
            r.output(b("one"), 0, 3);
        }
        new Recordings(dir, first).open("t2", 80, 24, Map.of(), false).close();
        var t1 = Recordings.list(dir, Optional.of("t1"));
        assertThat(t1).extracting(Recordings.RecordingFile::started)
                .containsExactly(Instant.parse("2026-12-05T10:00:00Z"), Instant.parse("2026-12-05T11:00:00Z"));
        assertThat(t1.get(0).session()).startsWith("20261205T100000.000Z-");
        assertThat(t1.get(0).path()).hasParent(dir.resolve("t1"));
        assertThat(Files.readString(t1.get(0).path())).contains("\"one\"");
        assertThat(Recordings.list(dir, Optional.empty())).hasSize(3);
        assertThat(Recordings.list(tmp.resolve("none"), Optional.empty())).isEmpty();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(t1.get(0).path()))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(dir.resolve("t1")))).isEqualTo("rwx------");
    }

    @Test
    void playWritesTheOutputWithItsPausesScaledAndCapped() throws Exception {
        String cast = """
                {"version":2,"width":80,"height":24,"timestamp":0}
                [0.5,"o","a"]
                [0.6,"i","typed"]
                [2.5,"o","b"]
                [9.5,"r","90x30"]
                [12.5,"o","c\\n"]
                """;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        List<Duration> waits = new ArrayList<>();
        int n = AsciicastPlayer.play(new BufferedReader(new StringReader(cast)), out,
                new AsciicastPlayer.Pace(2, Duration.ofSeconds(3)), waits::add);
        assertThat(n).isEqualTo(3);
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("abc\n");
        assertThat(waits).containsExactly(Duration.ofMillis(250), Duration.ofSeconds(1), Duration.ofSeconds(3));
        waits.clear();
        AsciicastPlayer.play(new BufferedReader(new StringReader(cast)), new ByteArrayOutputStream(),
                new AsciicastPlayer.Pace(1, Duration.ZERO), waits::add);
        assertThat(waits).isEmpty();
    }

    @Test
    void playRefusesWhatIsNotAnAsciicast() {
        var pace = new AsciicastPlayer.Pace(1, Duration.ZERO);
        assertThatThrownBy(() -> AsciicastPlayer.play(new BufferedReader(new StringReader("{\"version\":1}\n")),
                new ByteArrayOutputStream(), pace, d -> {})).hasMessageContaining("asciinema v2");
        assertThatThrownBy(() -> AsciicastPlayer.play(new BufferedReader(new StringReader(
                "{\"version\":2}\n[1,\"o\"]\n")), new ByteArrayOutputStream(), pace, d -> {})).hasMessageContaining("line 2");
        assertThatThrownBy(() -> AsciicastPlayer.play(new BufferedReader(new StringReader("")),
                new ByteArrayOutputStream(), pace, d -> {})).hasMessageContaining("empty");
    }
}
