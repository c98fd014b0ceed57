package dev.cloche.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.LayerProgress;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Both views of a pull's progress, rendered into a string on a test clock. */
class PullProgressTest {
    private static final String A = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    private static final String B = "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

    private final AtomicLong now = new AtomicLong();
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private void advance(Duration d) {
        now.addAndGet(d.toNanos());
    }

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void plainLinesSayWhenALayerStartsAndEndsAndWhichWereCached() {
        PlainPullProgress p = new PlainPullProgress(out, now::get);
        LayerProgress a = LayerProgress.started(A, 4 << 20);
        p.accept(LayerProgress.cached(B, 1 << 20));
        p.accept(a);
        advance(Duration.ofSeconds(1));
        p.accept(a.at(2 << 20));
        advance(Duration.ofSeconds(1));
        p.accept(a.at(4 << 20).finished());
        assertThat(text()).isEqualTo("""
                fedcba987654: cached (1.0 MiB)
                0123456789ab: downloading 4.0 MiB
                0123456789ab: done 4.0 MiB in 2.0 s (2.0 MiB/s)
                """);
    }

    @Test
    void aLayerOfUnknownSizeStillGetsItsLines() {
        PlainPullProgress p = new PlainPullProgress(out, now::get);
        p.accept(LayerProgress.started(A, 0));
        advance(Duration.ofMillis(500));
        p.accept(new LayerProgress(A, 0, 1024, false, true));
        assertThat(text()).isEqualTo("0123456789ab: downloading (size unknown)\n0123456789ab: done 1.0 KiB in 500 ms (2.0 KiB/s)\n");
    }

    @Test
    void aTerminalGetsABarPerLayerRedrawnInPlace() {
        TerminalPullProgress p = new TerminalPullProgress(out, now::get);
        LayerProgress a = LayerProgress.started(A, 4 << 20);
        p.accept(a);
        String first = text();
        assertThat(first).isEqualTo("\u001b[2K0123456789ab [>" + " ".repeat(29) + "]  0 B / 4.0 MiB\n");

        p.accept(LayerProgress.cached(B, 1 << 20));
        advance(Duration.ofSeconds(2));
        p.accept(a.at(1 << 20));
        String third = text().substring(text().lastIndexOf('\r'));
        // back up over the two lines drawn, then both again: a quarter of the bar and the rate so far
        assertThat(third).isEqualTo("\r\u001b[2A"
                + "\u001b[2K0123456789ab [=======>" + " ".repeat(22) + "]  1.0 MiB / 4.0 MiB  512.0 KiB/s\n"
                + "\u001b[2Kfedcba987654 " + " ".repeat(32) + "  cached 1.0 MiB\n");

        advance(Duration.ofSeconds(2));
        p.accept(a.at(4 << 20).finished());
        String last = text().substring(text().lastIndexOf('\r'));
        assertThat(last).contains("0123456789ab [" + "=".repeat(30) + "]  done 4.0 MiB / 4.0 MiB  1.0 MiB/s\n");
    }

    @Test
    void theBarIsFullOnlyWhenDone() {
        LayerProgress p = new LayerProgress(A, 100, 100, false, false);
        assertThat(TerminalPullProgress.bar(p)).isEqualTo("[" + "=".repeat(30) + "]");
        assertThat(TerminalPullProgress.bar(p.at(50))).isEqualTo("[" + "=".repeat(15) + ">" + " ".repeat(14) + "]");
        assertThat(TerminalPullProgress.bar(new LayerProgress(A, 0, 10, false, false))).isEqualTo("[>" + " ".repeat(29) + "]");
    }
}
