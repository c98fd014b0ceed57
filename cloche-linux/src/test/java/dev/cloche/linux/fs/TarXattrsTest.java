package dev.cloche.linux.fs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.tar.Tars;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The backend's view of stream-out's xattrs (cloche-tar's XattrInserterTest covers the insertion itself). */
class TarXattrsTest {

    @Test
    void insertsWhatTheLookupReturnsAndTheGuardReadsItBack() throws IOException {
        byte[] tar = Tars.archive().dir("./").file("./f", "content").symlink("./l", "f").end();
        byte[] out;
        try (InputStream in = new TarXattrs(new ByteArrayInputStream(tar),
                name -> name.equals("./f") ? Map.of("user.color", "blue".getBytes(StandardCharsets.UTF_8)) : Map.of())) {
            out = in.readAllBytes();
        }
        TarGuard.Summary s = TarGuard.copy(new ByteArrayInputStream(out), OutputStream.nullOutputStream(), false);
        assertThat(s.entries()).isEqualTo(3);
        assertThat(s.xattrs()).containsOnlyKeys("f");
        assertThat(new String(s.xattrs().get("f").get("user.color"), StandardCharsets.UTF_8)).isEqualTo("blue");
    }

    @Test
    void withoutAttributesTheStreamIsUnchanged() throws IOException {
        byte[] tar = Tars.archive().dir("./").file("./f", "content").end();
        try (InputStream in = new TarXattrs(new ByteArrayInputStream(tar), name -> Map.of())) {
            assertThat(in.readAllBytes()).isEqualTo(tar);
        }
    }
}
