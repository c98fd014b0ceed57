package dev.cloche.tar;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class XattrInserterTest {
    private static final String LONG = "d/" + "n".repeat(150);

    private static byte[] source() {
        return Tars.archive().dir("./").dir("./d/").file("./d/f", "content").symlink("./d/l", "f")
                .gnuLong('L', LONG).file("ignored", "long").end();
    }

    private static byte[] withAttrs(byte[] tar, List<String> asked) throws IOException {
        Map<String, Map<String, byte[]>> attrs = Map.of("./d/f", Map.of("user.color", "blue".getBytes(StandardCharsets.UTF_8)),
                LONG, Map.of("user.bin", new byte[] {0, 1, '\n', '='}), "./", Map.of("user.top", "1".getBytes(StandardCharsets.UTF_8)));
        try (InputStream in = new XattrInserter(new ByteArrayInputStream(tar), name -> {
            asked.add(name);
            return attrs.getOrDefault(name, Map.of());
        })) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            // odd read sizes: the insertion must not depend on how the reader slices the stream
            byte[] buf = new byte[333];
            for (int n; (n = in.read(buf, 0, buf.length)) > 0; ) out.write(buf, 0, n);
            return out.toByteArray();
        }
    }

    @Test
    void addsPaxXattrRecordsBeforeRegularFilesAndDirectoriesOnly() throws IOException {
        List<String> asked = new ArrayList<>();
        byte[] out = withAttrs(source(), asked);
        assertThat(asked).containsExactly("./", "./d/", "./d/f", LONG);
        GuardedTarCopy.Summary s = GuardedTarCopy.copy(new ByteArrayInputStream(out), OutputStream.nullOutputStream(), false);
        assertThat(s.entries()).isEqualTo(5);
        assertThat(s.xattrs()).containsOnlyKeys("", "d/f", LONG);
        assertThat(s.xattrs().get(LONG).get("user.bin")).containsExactly(0, 1, '\n', '=');
    }

    @Test
    void withoutAttributesTheStreamIsUnchanged() throws IOException {
        byte[] tar = source();
        try (InputStream in = new XattrInserter(new ByteArrayInputStream(tar), name -> Map.of())) {
            assertThat(in.readAllBytes()).isEqualTo(tar);
        }
    }

    @Test
    void gnuTarRestoresTheAttributes(@TempDir Path dir) throws Exception {
        Path archive = Files.write(dir.resolve("a.tar"), withAttrs(source(), new ArrayList<>()));
        Path into = Files.createDirectories(dir.resolve("x"));
        Process tar = new ProcessBuilder("tar", "--xattrs", "--xattrs-include=*", "-C", into.toString(), "-xf", archive.toString())
                .redirectErrorStream(true).start();
        String out = new String(tar.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(tar.waitFor()).as(out).isZero();
        UserDefinedFileAttributeView v = Files.getFileAttributeView(into.resolve("d/f"), UserDefinedFileAttributeView.class);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.size("color"));
        v.read("color", b);
        assertThat(new String(b.array(), StandardCharsets.UTF_8)).isEqualTo("blue");
        assertThat(Files.readString(into.resolve(LONG))).isEqualTo("long");
    }

    @Test
    void valuesThatAreNotUtf8SurviveAndPaxPathsNameTheEntry() throws IOException {
        byte[] value = {(byte) 0xff, (byte) 0xfe, 0, '\n'};
        byte[] tar = Tars.archive().pax('x', Tars.records("path", "real/name")).file("truncated", "x").end();
        List<String> asked = new ArrayList<>();
        byte[] out;
        try (InputStream in = new XattrInserter(new ByteArrayInputStream(tar), name -> {
            asked.add(name);
            return Map.of("user.raw", value);
        })) {
            out = in.readAllBytes();
        }
        assertThat(asked).containsExactly("real/name");
        GuardedTarCopy.Summary s = GuardedTarCopy.copy(new ByteArrayInputStream(out), OutputStream.nullOutputStream(), false);
        assertThat(s.xattrs().get("real/name").get("user.raw")).isEqualTo(value);
    }

    @Test
    void whatItCannotReadPassesThroughUnchanged() throws IOException {
        byte[] tar = Tars.archive().file("f", "x").header("v", 'V', 0, "", "", 0644).file("g", "y").end();
        List<String> asked = new ArrayList<>();
        try (InputStream in = new XattrInserter(new ByteArrayInputStream(tar), name -> {
            asked.add(name);
            return Map.of();
        })) {
            assertThat(in.readAllBytes()).isEqualTo(tar);
        }
        assertThat(asked).containsExactly("f");
    }
}
