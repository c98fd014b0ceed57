package dev.cloche.linux.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.tar.HostileTars;
import dev.cloche.tar.Tars;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The backend's view of the guard (cloche-tar's GuardedTarCopyTest covers the guard itself): its names for results and errors. */
class TarGuardTest {

    static Stream<HostileTars.Case> hostile() {
        return HostileTars.corpus("/tmp/cloche-guard-target").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void refusesHostileAndCorruptArchivesAsRejected(HostileTars.Case c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> TarGuard.copy(new ByteArrayInputStream(c.tar()), out, false))
                .isInstanceOf(TarGuard.RejectedException.class).hasMessageContaining(c.reason());
        byte[] forwarded = out.toByteArray();
        assertThat(Arrays.copyOf(c.tar(), forwarded.length)).isEqualTo(forwarded);
    }

    @Test
    void passesAValidArchiveAndReportsItsEntriesAndXattrs() throws IOException {
        byte[] tar = Tars.archive().dir("d/").pax('x', Tars.records("SCHILY.xattr.user.k", "v")).file("d/f", "x")
                .header("pipe", '6', 0, "", "", 0644).end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarGuard.Summary s = TarGuard.copy(new ByteArrayInputStream(tar), out, true);
        assertThat(out.toByteArray()).isEqualTo(tar);
        assertThat(s.entries()).isEqualTo(3);
        assertThat(s.xattrs()).containsOnlyKeys("d/f");
        assertThat(s.xattrs().get("d/f").get("user.k")).isEqualTo("v".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aFailingSinkIsReportedApartFromARejectedArchive() {
        OutputStream broken = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException("Broken pipe");
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                throw new IOException("Broken pipe");
            }
        };
        assertThatThrownBy(() -> TarGuard.copy(new ByteArrayInputStream(Tars.archive().file("f", "x").end()), broken, false))
                .isInstanceOf(TarGuard.SinkException.class).hasMessage("Broken pipe").hasCauseInstanceOf(IOException.class);
    }

    @Test
    void aFailingSourceIsNeitherRejectedNorASinkFailure() {
        byte[] good = Tars.archive().file("f", "x".repeat(2000)).end();
        InputStream failing = new SequenceInputStream(new ByteArrayInputStream(good, 0, 1024), new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("connection reset");
            }
        });
        assertThatThrownBy(() -> TarGuard.copy(failing, OutputStream.nullOutputStream(), false))
                .isInstanceOf(IOException.class).hasMessage("connection reset")
                .isNotInstanceOf(TarGuard.RejectedException.class).isNotInstanceOf(TarGuard.SinkException.class);
    }
}
