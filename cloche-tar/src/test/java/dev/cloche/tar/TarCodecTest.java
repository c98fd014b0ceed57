package dev.cloche.tar;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** TarReader and TarWriter: what one writes the other (and GNU tar) reads, and what GNU tar and busybox write. */
class TarCodecTest {
    private static final String LONG_NAME = "d/" + "n".repeat(150) + "/" + "m".repeat(120);
    private static final byte[] BINARY = {0, (byte) 0xff, '\n', '=', (byte) 0xc3};

    /** An entry as read, with its content. */
    private record Read(TarEntry entry, byte[] content) {}

    private static List<Read> readAll(byte[] tar) throws IOException {
        List<Read> out = new ArrayList<>();
        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        for (Optional<TarEntry> e; (e = r.next()).isPresent(); ) out.add(new Read(e.get(), r.content().readAllBytes()));
        return out;
    }

    private static byte[] written() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Instant when = Instant.parse("2024-05-01T12:00:00Z");
        try (TarWriter w = new TarWriter(out)) {
            w.write(TarEntry.directory("d/", 0750).withOwner(1000, 1001).withModified(when), new byte[0]);
            w.write(TarEntry.file("d/f", 0640, 5).withOwner(1000, 1001).withModified(when)
                    .withXattrs(Map.of("user.bin", BINARY)), new ByteArrayInputStream("hello".getBytes(StandardCharsets.UTF_8)));
            w.write(TarEntry.file(LONG_NAME, 0600, 4).withOwner(4_000_000_000L, 3_000_000), "long".getBytes(StandardCharsets.UTF_8));
            w.write(TarEntry.symlink("d/abs", "/" + "t".repeat(200)), new byte[0]);
            w.write(TarEntry.hardLink("d/h", "d/f"), new byte[0]);
        }
        return out.toByteArray();
    }

    @Test
    void readsBackWhatItWrote() throws IOException {
        List<Read> read = readAll(written());
        assertThat(read).extracting(r -> r.entry().name()).containsExactly("d/", "d/f", LONG_NAME, "d/abs", "d/h");
        TarEntry dir = read.get(0).entry();
        assertThat(dir.type()).isEqualTo(TarEntry.Type.DIRECTORY);
        assertThat(dir.mode() & 07777).isEqualTo(0750);
        assertThat(dir.uid()).isEqualTo(1000);
        assertThat(dir.gid()).isEqualTo(1001);
        assertThat(dir.modified()).isEqualTo(Instant.parse("2024-05-01T12:00:00Z"));
        TarEntry f = read.get(1).entry();
        assertThat(f.type()).isEqualTo(TarEntry.Type.FILE);
        assertThat(f.mode() & 07777).isEqualTo(0640);
        assertThat(read.get(1).content()).asString(StandardCharsets.UTF_8).isEqualTo("hello");
        assertThat(f.xattrs()).containsOnlyKeys("user.bin");
        assertThat(f.xattrs().get("user.bin")).isEqualTo(BINARY);
        assertThat(read.get(2).entry().uid()).isEqualTo(4_000_000_000L); // GNU base-256
        assertThat(read.get(2).entry().gid()).isEqualTo(3_000_000);
        assertThat(read.get(2).content()).asString(StandardCharsets.UTF_8).isEqualTo("long");
        assertThat(read.get(3).entry().type()).isEqualTo(TarEntry.Type.SYMLINK);
        assertThat(read.get(3).entry().linkName()).isEqualTo("/" + "t".repeat(200));
        assertThat(read.get(4).entry().type()).isEqualTo(TarEntry.Type.HARD_LINK);
        assertThat(read.get(4).entry().linkName()).isEqualTo("d/f");
    }

    @Test
    void gnuTarReadsWhatItWrote(@TempDir Path dir) throws Exception {
        Path archive = Files.write(dir.resolve("a.tar"), written());
        assertThat(run("tar", "-tvf", archive.toString(), "--numeric-owner")).contains("drwxr-x--- 1000/1001", "-rw-r----- 1000/1001",
                "d/f", LONG_NAME, "d/abs -> /" + "t".repeat(200), "d/h link to d/f");
        Path into = Files.createDirectories(dir.resolve("x"));
        run("tar", "--xattrs", "--xattrs-include=*", "-C", into.toString(), "-xf", archive.toString());
        assertThat(Files.readString(into.resolve(LONG_NAME))).isEqualTo("long");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(into.resolve("d/f")))).isEqualTo("rw-r-----");
        UserDefinedFileAttributeView v = Files.getFileAttributeView(into.resolve("d/f"), UserDefinedFileAttributeView.class);
        if (v.list().contains("bin")) { // a temp filesystem without user xattrs: GNU tar warns and goes on
            ByteBuffer b = ByteBuffer.allocate(v.size("bin"));
            v.read("bin", b);
            assertThat(b.array()).isEqualTo(BINARY);
        }
    }

    @Test
    void readsWhatGnuTarAndBusyboxWrite(@TempDir Path dir) throws Exception {
        // 153 bytes: a GNU long name, a PAX path or a ustar prefix, depending on the format
        String longFile = "s".repeat(90) + "/" + "f".repeat(60);
        Path src = Files.createDirectories(dir.resolve("src/" + "s".repeat(90)));
        Files.writeString(dir.resolve("src/" + longFile), "content");
        Files.createSymbolicLink(dir.resolve("src/link"), Path.of("/etc/passwd"));
        Files.writeString(dir.resolve("src/file"), "content");
        Files.createLink(dir.resolve("src/hard"), dir.resolve("src/file")); // ustar cannot link to the long name
        for (List<String> tool : List.of(List.of("tar", "--format=gnu"), List.of("tar", "--format=pax"), List.of("tar", "--format=ustar"),
                List.of("busybox", "tar"))) {
            List<String> cmd = new ArrayList<>(tool);
            cmd.addAll(List.of("-C", dir.resolve("src").toString(), "-cf", "-", "."));
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            byte[] archive = p.getInputStream().readAllBytes();
            assertThat(p.waitFor()).as(tool.toString()).isZero();
            List<Read> read = readAll(archive);
            assertThat(read).as(tool.toString()).extracting(r -> r.entry().name())
                    .contains("./", "./link", "./" + "s".repeat(90) + "/", "./" + longFile, "./file", "./hard");
            Read link = read.stream().filter(r -> r.entry().name().equals("./link")).findFirst().orElseThrow();
            assertThat(link.entry().type()).isEqualTo(TarEntry.Type.SYMLINK);
            assertThat(link.entry().linkName()).isEqualTo("/etc/passwd");
            Read file = read.stream().filter(r -> r.entry().name().equals("./" + longFile)).findFirst().orElseThrow();
            assertThat(file.content()).as(tool.toString()).asString(StandardCharsets.UTF_8).isEqualTo("content");
            // one of the two names of the other file is a hard link to the other
            assertThat(read).as(tool.toString()).filteredOn(r -> r.entry().type() == TarEntry.Type.HARD_LINK)
                    .extracting(r -> r.entry().linkName()).containsAnyOf("./file", "./hard");
        }
    }

    @Test
    void anArchiveMayStopWithoutItsEndRecordUnlessOneIsRequired() throws IOException {
        byte[] body = Tars.archive().file("f", "x").bytes();
        assertThat(readAll(body)).hasSize(1);
        assertThat(readAll(Arrays.copyOf(body, body.length + 100))).hasSize(1);
        assertThat(readAll(new byte[0])).isEmpty();
        TarReader strict = new TarReader(new ByteArrayInputStream(body), false, true, TarRecords.GlobalHeaders.IGNORED);
        assertThat(strict.next()).isPresent();
        assertThatThrownBy(strict::next).isInstanceOf(TarRejectedException.class).hasMessageContaining("without an end-of-archive marker");
    }

    @Test
    void aFileNamedLikeADirectoryIsFramedByItsSize() throws IOException {
        // commons-compress takes a name ending in '/' for a directory and reads no data; tar reads it by its size
        byte[] tar = Tars.archive().file("odd/", "x".repeat(700)).file("after", "y").end();
        List<Read> read = readAll(tar);
        assertThat(read).extracting(r -> r.entry().name()).containsExactly("odd/", "after");
        assertThat(read.get(0).content()).hasSize(700);
        assertThat(read.get(1).content()).asString(StandardCharsets.UTF_8).isEqualTo("y");
        // unread, it is skipped all the same
        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        assertThat(r.next()).isPresent();
        assertThat(r.next()).hasValueSatisfying(e -> assertThat(e.name()).isEqualTo("after"));
    }

    @Test
    void globalPaxHeadersAreNotApplied() throws IOException {
        byte[] tar = Tars.archive().pax('g', Tars.records("path", "elsewhere", "SCHILY.xattr.user.g", "1")).file("f", "x").end();
        List<Read> read = readAll(tar);
        assertThat(read).extracting(r -> r.entry().name()).containsExactly("f");
        assertThat(read.get(0).entry().xattrs()).isEmpty();
    }

    @Test
    void refusesWhatItCannotReadFaithfully() {
        assertThatThrownBy(() -> readAll(Tars.archive().pax('x', Tars.records("size", "0")).file("f", "x".repeat(600)).end()))
                .isInstanceOf(TarRejectedException.class).hasMessageContaining("PAX size 0 differs");
        assertThatThrownBy(() -> readAll(Tars.archive().header("v", 'V', 0, "", "", 0644).end()))
                .isInstanceOf(TarRejectedException.class).hasMessageContaining("unsupported entry type 'V'");
        assertThatThrownBy(() -> readAll(Tars.archive().header("s", 'S', 0, "", "", 0644).end()))
                .isInstanceOf(TarRejectedException.class).hasMessageContaining("unsupported entry type 'S'");
        assertThatThrownBy(() -> readAll(Tars.archive().pax('x', Tars.records("GNU.sparse.map", "0,1")).file("f", "x").end()))
                .isInstanceOf(TarRejectedException.class).hasMessageContaining("sparse");
        assertThatThrownBy(() -> readAll(Arrays.copyOf(Tars.archive().file("f", "x".repeat(3000)).end(), 1536)))
                .isInstanceOf(TarRejectedException.class).hasMessageContaining("truncated");
    }

    @Test
    void entriesAndContentMustAgree() {
        assertThatThrownBy(() -> new TarEntry("l", TarEntry.Type.SYMLINK, 0777, 0, 0, 1, "t", Instant.EPOCH, Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TarWriter(OutputStream.nullOutputStream()).write(TarEntry.file("f", 0644, 3), new byte[2]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new TarWriter(OutputStream.nullOutputStream())
                .write(TarEntry.file("f", 0644, 3), new ByteArrayInputStream(new byte[2]))).isInstanceOf(IOException.class);
    }

    private static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor()).as(out).isZero();
        return out;
    }
}
