package dev.cloche.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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

class GuardedTarCopyTest {

    static Stream<HostileTars.Case> hostile() {
        return HostileTars.corpus("/tmp/cloche-guard-target").stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("hostile")
    void refusesHostileAndCorruptArchivesBeforeTarSeesTheBadHeader(HostileTars.Case c) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThatThrownBy(() -> GuardedTarCopy.copy(new ByteArrayInputStream(c.tar()), out, false))
                .isInstanceOf(TarRejectedException.class).hasMessageContaining(c.reason());
        // whatever was forwarded is a prefix of the input that ends before the offending header's data
        byte[] forwarded = out.toByteArray();
        assertThat(Arrays.copyOf(c.tar(), forwarded.length)).isEqualTo(forwarded);
        assertThat(new String(forwarded, StandardCharsets.ISO_8859_1)).doesNotContain("evil").doesNotContain("shadow");
    }

    @Test
    void devicesAndFifosPassForPrivilegedContainers() throws IOException {
        byte[] tar = Tars.archive().header("null2", '3', 0, "", "", 0666).header("pipe", '6', 0, "", "", 0644).end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(GuardedTarCopy.copy(new ByteArrayInputStream(tar), out, true).entries()).isEqualTo(2);
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
        GuardedTarCopy.Summary s = GuardedTarCopy.copy(new ByteArrayInputStream(tar), out, false);
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
        GuardedTarCopy.copy(in, out, false);
        assertThat(out.toByteArray()).hasSize(body.length + 1024);
        assertThat(in.available()).isZero();
    }

    @Test
    void aLoneZeroBlockIsEnoughEvenIfNothingFollowsYet() throws IOException {
        // the second end record is supplied: a client that sent one zero block and waits is not waited for
        byte[] body = Tars.archive().file("f", "x").bytes();
        InputStream oneZeroBlockThenStall = new InputStream() {
            private final ByteArrayInputStream sent = new ByteArrayInputStream(Arrays.copyOf(body, body.length + 512));

            @Override
            public int read() {
                throw new AssertionError("single-byte read");
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = sent.read(b, off, len);
                if (n < 0) throw new AssertionError("read past the end-of-archive record before the copy ended");
                return n;
            }

            @Override
            public long transferTo(OutputStream out) {
                return 0; // the caller's drain of record padding
            }
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(GuardedTarCopy.copy(oneZeroBlockThenStall, out, false).entries()).isEqualTo(1);
        assertThat(out.toByteArray()).hasSize(body.length + 1024);
    }

    @Test
    void aFileNamedLikeADirectoryPassesWithItsData() throws IOException {
        // commons-compress would take it for a directory without data; tar, and the guard, go by its size
        byte[] tar = Tars.archive().file("odd/", "x".repeat(700)).file("after", "y").end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(GuardedTarCopy.copy(new ByteArrayInputStream(tar), out, false).entries()).isEqualTo(2);
        assertThat(out.toByteArray()).isEqualTo(tar);
    }

    @Test
    void globalHeadersAreCheckedButNotApplied() throws IOException {
        byte[] tar = Tars.archive().pax('g', Tars.records("path", "elsewhere", "SCHILY.xattr.user.g", "1")).file("f", "x").end();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GuardedTarCopy.Summary s = GuardedTarCopy.copy(new ByteArrayInputStream(tar), out, false);
        assertThat(out.toByteArray()).isEqualTo(tar);
        assertThat(s.xattrs()).isEmpty();
        assertThatThrownBy(() -> GuardedTarCopy.copy(new ByteArrayInputStream(Tars.archive().pax('g', Tars.records("path", "../up"))
                .file("f", "x").end()), OutputStream.nullOutputStream(), false)).isInstanceOf(TarRejectedException.class)
                .hasMessageContaining("global path ../up");
    }

    @Test
    void extendedHeadersPassAsTheyCameIncludingTheirPadding() throws IOException {
        byte[] tar = Tars.archive().pax('x', Tars.records("path", "p")).file("ignored", "x").end();
        tar[512 + 200] = 'z'; // in the padding after the PAX records: every tar skips it unread
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        GuardedTarCopy.copy(new ByteArrayInputStream(tar), out, false);
        assertThat(out.toByteArray()).isEqualTo(tar);
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
        assertThatThrownBy(() -> GuardedTarCopy.copy(new ByteArrayInputStream(Tars.archive().file("f", "x").end()), broken, false))
                .isInstanceOf(GuardedTarCopy.SinkException.class);
    }

    @Test
    void normalizesNamesAndRefusesEscapes() throws IOException {
        assertThat(HostileArchiveChecks.checkName("./a//b/./c/", 0, "name")).isEqualTo("a/b/c");
        assertThat(HostileArchiveChecks.checkName("./", 0, "name")).isEmpty();
        for (String bad : List.of("/", "/etc", "..", "a/..", "../a", "a/../b")) {
            assertThatThrownBy(() -> HostileArchiveChecks.checkName(bad, 0, "name")).isInstanceOf(TarRejectedException.class);
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
            GuardedTarCopy.Summary s = GuardedTarCopy.copy(new ByteArrayInputStream(archive), out, false);
            assertThat(s.entries()).as(format).isGreaterThanOrEqualTo(5);
            assertThat(archive).startsWith(out.toByteArray());
            if (format.equals("pax") && xattrs) {
                assertThat(s.xattrs()).containsKey("sub/file");
            }
        }
    }
}
