package dev.cloche.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The shell's output offset and its stdin that a dropped client does not end. */
class ReattachableShellTest {

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aReattachedSessionGetsOnlyWhatItsPredecessorDidNot() throws IOException {
        ReattachableShell shell = new ReattachableShell();
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        var o = shell.output(first, 0);
        o.write(b("hello "));
        o.write(b("world"));
        assertThat(shell.delivered()).isEqualTo(11);
        // the replay starts at byte 0; the second session skips 11 bytes, even across a chunk boundary
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        var r = shell.output(second, shell.delivered());
        r.write(b("hello wo"));
        r.write(b("rld, again"));
        r.write('!');
        assertThat(second.toString(StandardCharsets.UTF_8)).isEqualTo(", again!");
        assertThat(shell.delivered()).isEqualTo(19);
    }

    @Test
    void aFailedWriteIsNotCountedAsDelivered() {
        ReattachableShell shell = new ReattachableShell();
        var o = shell.output(new java.io.OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("channel closed");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("channel closed");
            }
        }, 0);
        try {
            o.write(b("lost"));
        } catch (IOException expected) {
            // the client is gone
        }
        assertThat(shell.delivered()).isZero();
    }

    @Test
    void stdinWaitsForTheNextClientInsteadOfEndingAndEndsOnlyWhenTold() throws Exception {
        ReattachableShell.ShellInput in = new ReattachableShell.ShellInput();
        in.attach(new ByteArrayInputStream(b("ls\n"))); // a client that then drops (EOF)
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        CompletableFuture<Void> pump = CompletableFuture.runAsync(() -> {
            try {
                in.transferTo(got);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Thread.sleep(200);
        assertThat(pump).isNotDone(); // the first client's end is not the shell's
        in.attach(new InputStream() {
            private final InputStream data = new ByteArrayInputStream(b("pwd\n"));

            @Override
            public int read() throws IOException {
                throw new IOException("reset"); // a broken client counts as gone too
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                int n = data.read(b, off, len);
                if (n < 0) throw new IOException("connection reset");
                return n;
            }
        });
        Thread.sleep(200);
        assertThat(pump).isNotDone();
        in.end();
        pump.get(10, TimeUnit.SECONDS);
        assertThat(got.toString(StandardCharsets.UTF_8)).isEqualTo("ls\npwd\n");
    }
}
