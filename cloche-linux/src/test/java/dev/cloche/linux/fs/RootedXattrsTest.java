package dev.cloche.linux.fs;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RootedXattrsTest {
    @TempDir Path tmp;

    private static Map<String, byte[]> attr(String name, String value) {
        return Map.of(name, value.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> xattrs(Path p) throws IOException {
        return Files.getFileAttributeView(p, UserDefinedFileAttributeView.class).list();
    }

    private static String read(Path p, String name) throws IOException {
        UserDefinedFileAttributeView v = Files.getFileAttributeView(p, UserDefinedFileAttributeView.class);
        ByteBuffer b = ByteBuffer.allocate(v.size(name));
        v.read(name, b);
        return new String(b.array(), StandardCharsets.UTF_8);
    }

    @Test
    void setsUserAttributesOnFilesAndDirectoriesInsideTheRoot() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root/srv/d"));
        Files.writeString(root.resolve("f"), "x");
        long uid = Integer.toUnsignedLong((int) Files.getAttribute(root.resolve("f"), "unix:uid"));
        List<String> failed = RootedXattrs.apply(tmp.resolve("root"), "/srv/d", Map.of("f", attr("user.k", "v\0bin"), "",
                attr("user.dir", "yes"), "g", Map.of("security.selinux", "x".getBytes(), "user.also", "1".getBytes())), uid, false);
        assertThat(failed).containsExactly("srv/d/g: cannot open (errno 2)");
        assertThat(read(root.resolve("f"), "k")).isEqualTo("v\0bin");
        assertThat(read(root, "dir")).isEqualTo("yes");
    }

    @Test
    void symlinksAndDotDotNeverLeaveTheRoot() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Path victim = Files.writeString(outside.resolve("victim"), "host file");
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createSymbolicLink(root.resolve("abs"), outside);
        Files.createSymbolicLink(root.resolve("rel"), Path.of("../outside"));
        Files.createSymbolicLink(root.resolve("last"), victim);
        List<String> failed = RootedXattrs.apply(root, "/", Map.of("abs/victim", attr("user.x", "1"), "rel/victim", attr("user.x", "1"),
                "../outside/victim", attr("user.x", "1"), "last", attr("user.x", "1")), 0, true);
        assertThat(failed).hasSize(4);
        assertThat(xattrs(victim)).isEmpty();
    }

    @Test
    void onlyTheOwnerUnlessRoot() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.writeString(root.resolve("f"), "x");
        assertThat(RootedXattrs.apply(root, "/", Map.of("f", attr("user.x", "1")), 4242, false)).containsExactly("f: not owned by the user");
        assertThat(xattrs(root.resolve("f"))).isEmpty();
    }
}
