package dev.cloche.linux.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class PtyTest {

    private static String sttySize(Pty pty) throws Exception {
        Process p = new ProcessBuilder("stty", "size").redirectInput(pty.slave().toFile()).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor()).isZero();
        return out;
    }

    @Test
    void windowIsSetAtOpenAndOnResize() throws Exception {
        try (Pty pty = Pty.open(24, 80)) {
            assertThat(pty.slave().toString()).startsWith("/dev/pts/");
            assertThat(sttySize(pty)).isEqualTo("24 80");
            pty.resize(40, 120);
            assertThat(sttySize(pty)).isEqualTo("40 120");
        }
    }

    @Test
    void masterReadsWhatTheSlaveWritesAndEndsWhenTheSlaveCloses() throws Exception {
        try (Pty pty = Pty.open(24, 80)) {
            Process p = new ProcessBuilder("echo", "hi").redirectOutput(pty.slave().toFile()).start();
            assertThat(p.waitFor()).isZero();
            byte[] buf = new byte[64];
            StringBuilder got = new StringBuilder();
            int n;
            while ((n = pty.read(buf)) > 0) got.append(new String(buf, 0, n, StandardCharsets.UTF_8));
            assertThat(got.toString()).isEqualTo("hi\r\n"); // onlcr, then EIO once the only slave is closed
        }
    }

    @Test
    void closeIsIdempotentAndLaterWritesFail() throws IOException {
        Pty pty = Pty.open(24, 80);
        pty.close();
        pty.close();
        assertThatThrownBy(() -> pty.write(new byte[] {1}, 0, 1)).isInstanceOf(IOException.class);
        assertThatThrownBy(() -> pty.resize(1, 1)).isInstanceOf(IOException.class);
    }
}
