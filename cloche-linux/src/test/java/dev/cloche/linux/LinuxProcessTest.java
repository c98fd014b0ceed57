package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.TtySpec;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LinuxProcessTest {

    private static String collapse(String s) {
        byte[] b = s.getBytes(StandardCharsets.ISO_8859_1);
        return new String(b, 0, LinuxProcess.collapseCarriageReturns(b, b.length), StandardCharsets.ISO_8859_1);
    }

    @Test
    void doubleTranslatedLineEndsBecomeOneAndOthersStay() {
        assertThat(collapse("a\r\r\nb\r\nc\rd\n\r\r")).isEqualTo("a\r\nb\r\nc\rd\n\r\r");
        assertThat(collapse("\r\r\r\n")).isEqualTo("\r\r\n");
    }

    @Test
    void defaultWindowIs80x24AndAGivenOneWins() {
        assertThat(LinuxProcess.window(TtySpec.DEFAULT)).isEqualTo(new TtySpec.WindowSize(80, 24));
        assertThat(LinuxProcess.window(TtySpec.of(100, 30))).isEqualTo(new TtySpec.WindowSize(100, 30));
        assertThat(LinuxProcess.window(new TtySpec(Optional.of(new TtySpec.WindowSize(0, 0))))).isEqualTo(new TtySpec.WindowSize(80, 24));
    }
}
