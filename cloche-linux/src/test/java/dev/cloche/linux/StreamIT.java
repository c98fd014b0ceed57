package dev.cloche.linux;

import static dev.cloche.linux.Runs.readAll;
import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.tar.HostileTars;
import dev.cloche.tar.Tars;
import dev.cloche.testkit.RootBackendExtension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Stream in/out for real (docs/files.md): hostile archives, the normal cases, stopped containers. */
class StreamIT {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-stream")
            .network("clst", "10.253.24.0/24", "41300-41399").build();
    /** Where the hostile archives aim on the host; it must never appear. */
    private static final Path TARGET = Path.of("/tmp/cloche-stream-escape-" + ProcessHandle.current().pid());

    @AfterAll
    static void removeTarget() {
        Trees.deleteRecursively(TARGET);
    }

    private static BackendContainer create(String prefix, boolean privileged) {
        return ROOT.create(ContainerSpec.withHandle(ROOT.handle(prefix)).withPrivileged(privileged));
    }

    private static void destroy(BackendContainer c) {
        ROOT.destroy(c);
    }

    private static void streamIn(BackendContainer c, String dest, String user, byte[] tar) {
        c.streamIn(new StreamInSpec(dest, user, new ByteArrayInputStream(tar)));
    }

    private static byte[] streamOut(BackendContainer c, String src, String user) throws IOException {
        try (InputStream in = c.streamOut(new StreamOutSpec(src, user))) {
            return in.readAllBytes();
        }
    }

    /** Entry names of an archive (ustar/GNU, no extended headers). */
    private static List<String> names(byte[] tar) {
        List<String> out = new ArrayList<>();
        for (int off = 0; off + 512 <= tar.length; ) {
            if (tar[off] == 0) break;
            int end = off;
            while (end < off + 100 && tar[end] != 0) end++;
            out.add(new String(tar, off, end - off, StandardCharsets.UTF_8));
            long size = Long.parseLong(new String(tar, off + 124, 11, StandardCharsets.US_ASCII).trim(), 8);
            off += 512 + (size + 511) / 512 * 512;
        }
        return out;
    }

    private static List<String> filesNamed(Path root, String... names) throws IOException {
        List<String> wanted = List.of(names);
        try (Stream<Path> s = Files.walk(root)) {
            return s.filter(p -> wanted.contains(p.getFileName().toString())).map(Path::toString).toList();
        }
    }

    @Test
    void hostileArchivesAreRefusedAndNothingLandsOutsideTheContainer() throws IOException {
        BackendContainer c = create("hostile", false);
        Path upper = Path.of(c.info().containerPath(), "upper");
        for (HostileTars.Case hostile : HostileTars.corpus(TARGET.toString())) {
            for (String dest : List.of("dest", "/")) {
                assertThatThrownBy(() -> streamIn(c, dest, "", hostile.tar())).as(hostile.name() + " into " + dest)
                        .isInstanceOf(InvalidRequestException.class)
                        .hasMessageContaining("error streaming in").hasMessageContaining(hostile.reason());
            }
            assertThat(TARGET).as(hostile.name()).doesNotExist();
            assertThat(Path.of("/evil")).doesNotExist();
            assertThat(filesNamed(upper, "evil", "shadow", "null2", "sda", "pipe")).as(hostile.name()).isEmpty();
        }
        // the container is fine afterwards and no tar is left running in it
        streamIn(c, "dest", "", Tars.archive().file("ok", "fine").end());
        assertThat(run(c, "cat", "/root/dest/ok").stdout()).isEqualTo("fine");
        assertThat(run(c, "sh", "-c", "ps -o comm | grep -c tar || true").stdout().strip()).isEqualTo("0");
        destroy(c);
    }

    @Test
    void symlinksAlreadyInTheContainerResolveInsideIt() throws IOException {
        BackendContainer c = create("links", false);
        String up = "../../../../../../../../../..";
        assertThat(run(c, "sh", "-c", "mkdir -p " + TARGET + " && ln -s " + up + TARGET + " /escape && ln -s / /rootlink").exit()).isZero();
        streamIn(c, "/escape", "", Tars.archive().file("via-dest", "1").end());
        streamIn(c, "/", "", Tars.archive().file("escape/via-entry", "2").file("rootlink/" + TARGET.toString().substring(1) + "/via-root", "3").end());
        assertThat(TARGET).doesNotExist();
        assertThat(run(c, "cat", TARGET + "/via-dest", TARGET + "/via-entry", TARGET + "/via-root").stdout()).isEqualTo("123");
        // stream-out through a symlink aimed at the host's /etc reads the container's /etc
        assertThat(run(c, "ln", "-s", up + "/etc", "/hostetc").exit()).isZero();
        String etc = new String(streamOut(c, "/hostetc/", ""), StandardCharsets.ISO_8859_1);
        assertThat(etc).contains("./passwd").contains("nobody:x:65534").doesNotContain("daemon:x:");
        destroy(c);
    }

    @Test
    void aSymlinkSwappedInWhileStreamingStaysInsideTheContainer() throws Exception {
        BackendContainer c = create("race", false);
        assertThat(run(c, "mkdir", "-p", TARGET.toString(), "/race").exit()).isZero();
        String up = "../../../../../../../../../..";
        BackendProcess swapper = c.run(ProcessSpec.of("sh", "-c", "while true; do rm -rf /race/d; mkdir /race/d; rm -rf /race/d; ln -s "
                + up + TARGET + " /race/d; done").withId("swapper"));
        Tars tar = Tars.archive().dir("d");
        for (int i = 0; i < 300; i++) tar.file("d/f" + i, "x");
        byte[] archive = tar.end();
        for (int round = 0; round < 5; round++) {
            try {
                streamIn(c, "/race", "", archive);
            } catch (GardenException e) {
                // tar may lose the race (a directory vanishes under it): an error is fine, an escape is not
                assertThat(e.getMessage()).contains("error streaming in");
            }
            assertThat(TARGET).doesNotExist();
        }
        swapper.signal(dev.cloche.api.Signal.KILL);
        swapper.exit().get(30, TimeUnit.SECONDS);
        destroy(c);
    }

    @Test
    void directoryWithAndWithoutTrailingSlashRelativeAndRootDestinations() throws IOException {
        BackendContainer c = create("normal", false);
        assertThat(run(c, "sh", "-c", "mkdir -p /src/d/e && echo content > /src/d/f && echo deep > /src/d/e/g").exit()).isZero();
        byte[] dir = streamOut(c, "/src/d", "");
        assertThat(names(dir)).containsExactlyInAnyOrder("d/", "d/f", "d/e/", "d/e/g");
        byte[] contents = streamOut(c, "/src/d/", "");
        assertThat(names(contents)).containsExactlyInAnyOrder("./", "./f", "./e/", "./e/g");
        streamIn(c, "dest", "", dir);
        assertThat(run(c, "cat", "/root/dest/d/f", "/root/dest/d/e/g").stdout()).isEqualTo("content\ndeep\n");
        streamIn(c, "/", "", Tars.archive().file("at-root", "r").end());
        assertThat(run(c, "cat", "/at-root").stdout()).isEqualTo("r");
        streamIn(c, "/new/deep/dir", "", contents);
        assertThat(run(c, "cat", "/new/deep/dir/e/g").stdout()).isEqualTo("deep\n");
        assertThatThrownBy(() -> streamOut(c, "/does/not/exist", "")).hasMessageContaining("error streaming out");
        destroy(c);
    }

    @Test
    void streamsAsTheUserKeepingPermissionsAndRefusingWhatTheUserMayNotDo() throws IOException {
        BackendContainer c = create("user", false);
        assertThat(run(c, "sh", "-c", "echo alice:x:1000:1000::/home/alice:/bin/sh >> /etc/passwd && mkdir -p /home/alice"
                + " && chown 1000:1000 /home/alice").exit()).isZero();
        byte[] tar = Tars.archive().dir("d").file("d/script", "#!/bin/sh\n", 0751).file("d/secret", "s", 0600)
                .header("d/sticky", '5', 0, "", "", 01755).end();
        streamIn(c, "mine", "alice", tar);
        assertThat(run(c, "stat", "-c", "%U %a %n", "/home/alice/mine/d/script", "/home/alice/mine/d/secret", "/home/alice/mine/d/sticky")
                .stdout()).isEqualTo("alice 751 /home/alice/mine/d/script\nalice 600 /home/alice/mine/d/secret\nalice 1755 /home/alice/mine/d/sticky\n");
        byte[] back = streamOut(c, "mine/d/secret", "alice");
        assertThat(names(back)).containsExactly("secret");
        assertThat(new String(back, 100, 7, StandardCharsets.US_ASCII)).isEqualTo("0000600");

        assertThatThrownBy(() -> streamIn(c, "/root/forbidden", "alice", tar)).hasMessageContaining("Permission denied");
        assertThatThrownBy(() -> streamIn(c, "/", "alice", tar)).hasMessageContaining("Permission denied");
        assertThatThrownBy(() -> streamOut(c, "/root", "alice")).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("/root is not readable by user 'alice'");
        assertThatThrownBy(() -> streamIn(c, "x", "nosuchuser", tar)).hasMessageContaining("error streaming in");
        assertThatThrownBy(() -> streamOut(c, "x", "nosuchuser")).hasMessageContaining("error streaming out");
        assertThat(run(c, "ls", "/root").stdout()).doesNotContain("forbidden");
        destroy(c);
    }

    private static String xattr(Path p, String name) throws IOException {
        var v = Files.getFileAttributeView(p, java.nio.file.attribute.UserDefinedFileAttributeView.class);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(v.size(name));
        v.read(name, b);
        return new String(b.array(), StandardCharsets.UTF_8);
    }

    /** The user.* xattrs stream-out carries, per entry, as TarGuard reads them. */
    private static Map<String, Map<String, byte[]>> xattrsOut(BackendContainer c, String src) throws IOException {
        return dev.cloche.linux.fs.TarGuard.copy(new ByteArrayInputStream(streamOut(c, src, "")), java.io.OutputStream.nullOutputStream(), false).xattrs();
    }

    @Test
    void userXattrsFromPaxHeadersAreRestoredRunningAndStopped() throws IOException {
        BackendContainer c = create("xattr", false);
        assertThat(run(c, "sh", "-c", "echo alice:x:1000:1000::/home/alice:/bin/sh >> /etc/passwd && mkdir -p /home/alice"
                + " && chown 1000:1000 /home/alice").exit()).isZero();
        byte[] tar = Tars.archive().pax('x', Tars.records("SCHILY.xattr.user.color", "blue", "SCHILY.xattr.security.selinux", "x"))
                .file("f", "content", 0640).pax('x', Tars.records("SCHILY.xattr.user.kind", "dir")).dir("d").end();
        streamIn(c, "/x", "", tar);
        streamIn(c, "mine", "alice", tar);
        Path upper = Path.of(c.info().containerPath(), "upper");
        assertThat(xattr(upper.resolve("x/f"), "color")).isEqualTo("blue");
        assertThat(xattr(upper.resolve("x/d"), "kind")).isEqualTo("dir");
        assertThat(xattr(upper.resolve("home/alice/mine/f"), "color")).isEqualTo("blue");
        assertThat(xattrsOut(c, "/x")).containsOnlyKeys("x/f", "x/d");
        assertThat(xattrsOut(c, "/home/alice/mine/")).containsOnlyKeys("f", "d");
        c.stop(true);
        streamIn(c, "/stopped", "", tar);
        assertThat(xattr(upper.resolve("stopped/f"), "color")).isEqualTo("blue");
        Map<String, Map<String, byte[]>> out = xattrsOut(c, "/stopped/f");
        assertThat(out).containsOnlyKeys("f");
        assertThat(new String(out.get("f").get("user.color"), StandardCharsets.UTF_8)).isEqualTo("blue");
        destroy(c);
    }

    @Test
    void privilegedContainersMayReceiveFifos() throws IOException {
        BackendContainer c = create("priv", true);
        streamIn(c, "/", "", Tars.archive().header("fifo", '6', 0, "", "", 0644).end());
        assertThat(run(c, "sh", "-c", "test -p /fifo && echo fifo").stdout()).isEqualTo("fifo\n");
        destroy(c);
    }

    @Test
    void stoppedContainersStreamInAndOutThroughAOneShotContainer() throws IOException {
        for (boolean privileged : List.of(false, true)) {
            BackendContainer c = create("stopped", privileged);
            assertThat(run(c, "sh", "-c", "mkdir -p /src && echo before > /src/f").exit()).isZero();
            c.stop(false);
            assertThat(c.info().state()).isEqualTo("stopped");
            assertThat(names(streamOut(c, "/src", ""))).containsExactlyInAnyOrder("src/", "src/f");
            streamIn(c, "/after", "", Tars.archive().file("g", "after", 0640).end());
            byte[] back = streamOut(c, "/after/", "");
            assertThat(names(back)).containsExactlyInAnyOrder("./", "./g");
            assertThat(new String(back, 1024, 5, StandardCharsets.US_ASCII)).isEqualTo("after");
            assertThatThrownBy(() -> streamIn(c, "/", "", HostileTars.corpus(TARGET.toString()).getFirst().tar()))
                    .hasMessageContaining("contains '..'");
            assertThatThrownBy(() -> streamOut(c, "/missing", "")).hasMessageContaining("error streaming out");
            Path upper = Path.of(c.info().containerPath(), "upper");
            assertThat(Files.readString(upper.resolve("after/g"))).isEqualTo("after");
            String id = ROOT.idOf(c);
            assertThat(TestShell.run(List.of("runc", "--root", ROOT.runtimeRoot().toString(), "list", "-q")).stdout().lines()
                    .filter(l -> l.startsWith(id)).toList()).containsExactly(id);
            try (Stream<Path> helpers = Files.list(Path.of(c.info().containerPath(), "helpers"))) {
                assertThat(helpers.toList()).isEmpty();
            }
            destroy(c);
        }
    }
}
