package dev.cloche.linux.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class TarGuardTest {

    static Stream<HostileTars.Case> hostile() {
        return HostileTars.corpus("/tmp/cloche-guard-target").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void refusesHostileAndCorruptArchivesBeforeTarSeesTheBadHeader(HostileTars.Case c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> TarGuard.copy(new ByteArrayInputStream(c.tar()), out, false))
                .isInstanceOf(TarGuard.RejectedException.class).hasMessageContaining(c.reason());
        // whatever was forwarded is a prefix of the input that ends before the offending header's data
        byte[] forwarded = out.toByteArray();
        assertThat(Arrays.copyOf(c.tar(), forwarded.length)).isEqualTo(forwarded);
        assertThat(new String(forwarded, StandardCharsets.ISO_8859_1)).doesNotContain("evil").doesNotContain("shadow");
    }

    @Test
    void devicesAndFifosPassForPrivilegedContainers() throws IOException {
        byte[] tar = Tars.archive().header("null2", '3', 0, "", "", 0666).header("pipe", '6', 0, "", "", 0644).end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(TarGuard.copy(new ByteArrayInputStream(tar), out, true).entries()).isEqualTo(2);
        assertThat(out.toByteArray()).isEqualTo(tar);
    }

    @Test
    void forwardsAValidArchiveUnchangedWithExtendedHeadersAndXattrs() throws IOException {
        String longName = "d/" + "n".repeat(150);
        byte[] tar = Tars.archive().dir("d/").file("d/f", "hello", 0600).symlink("d/abs", "/etc/passwd")
                .symlink("d/up", "../../..").hardlink("d/h", "./d/f").gnuLong('L', longName).file("ignored", "long")
                .gnuLong('K', "d/f").hardlink("d/h2", "x")
                .pax('x', Tars.records("path", "d/p\u00e9", "SCHILY.xattr.user.k", "v\0binary"))
                .file("whatever", "pax").pax('g', Tars.records("comment", "hi")).file("./d/./g", "")
                .header("d/prefixed", '0', 0, "", "dir", 0644).end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarGuard.Summary s = TarGuard.copy(new ByteArrayInputStream(tar), out, false);
        assertThat(out.toByteArray()).isEqualTo(tar);
        assertThat(s.entries()).isEqualTo(10);
        assertThat(s.xattrs()).containsOnlyKeys("d/p\u00e9");
        assertThat(s.xattrs().get("d/p\u00e9").get("user.k")).isEqualTo("v\0binary".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aLoneZeroBlockEndsTheArchiveAndTrailingPaddingIsNotForwarded() throws IOException {
        byte[] body = Tars.archive().file("f", "x").bytes();
        byte[] tar = Arrays.copyOf(body, body.length + 512 + 9000); // one zero block, then record padding
        ByteArrayInputStream in = new ByteArrayInputStream(tar);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TarGuard.copy(in, out, false);
        assertThat(out.toByteArray()).hasSize(body.length + 1024);
        assertThat(in.available()).isZero();
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
                .isInstanceOf(TarGuard.SinkException.class);
    }

    @Test
    void normalizesNamesAndRefusesEscapes() throws IOException {
        assertThat(TarGuard.checkName("./a//b/./c/", 0, "name")).isEqualTo("a/b/c");
        assertThat(TarGuard.checkName("./", 0, "name")).isEmpty();
        for (String bad : List.of("/", "/etc", "..", "a/..", "../a", "a/../b")) {
            assertThatThrownBy(() -> TarGuard.checkName(bad, 0, "name")).isInstanceOf(TarGuard.RejectedException.class);
        }
    }

    @Test
    void acceptsWhatGnuTarWritesWithXattrs(@TempDir Path dir) throws Exception {
        Path src = Files.createDirectories(dir.resolve("src/sub"));
        Files.writeString(src.resolve("file"), "content");
        Files.createSymbolicLink(src.resolve("link"), Path.of("/etc/passwd"));
        Files.createLink(src.resolve("hard"), src.resolve("file"));
        Files.writeString(src.resolve("n".repeat(200)), "long");
        boolean xattrs = true;
        try {
            Files.getFileAttributeView(src.resolve("file"), java.nio.file.attribute.UserDefinedFileAttributeView.class)
                    .write("cloche", java.nio.ByteBuffer.wrap("yes".getBytes(StandardCharsets.UTF_8)));
        } catch (IOException | UnsupportedOperationException e) {
            xattrs = false; // a temp filesystem without user xattrs: the archive is still checked
        }
        for (String format : List.of("gnu", "pax", "ustar")) {
            if (format.equals("ustar")) Files.delete(src.resolve("n".repeat(200)));
            Process tar = new ProcessBuilder("tar", "--format=" + format, "--xattrs", "-C", dir.resolve("src").toString(), "-cf", "-", ".")
                    .redirectError(ProcessBuilder.Redirect.INHERIT).start();
            byte[] archive = tar.getInputStream().readAllBytes();
            assertThat(tar.waitFor()).isZero();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            TarGuard.Summary s = TarGuard.copy(new ByteArrayInputStream(archive), out, false);
            assertThat(s.entries()).as(format).isGreaterThanOrEqualTo(5);
            assertThat(archive).startsWith(out.toByteArray());
            if (format.equals("pax") && xattrs) {
                assertThat(s.xattrs()).containsKey("sub/file");
            }
        }
    }
}
