package dev.cloche.linux.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.GardenError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerFilesTest {
    @TempDir Path root;
    private ContainerFiles files;

    @BeforeEach
    void rootfs() throws IOException {
        Files.createDirectories(root.resolve("bin"));
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("usr/bin"));
        Path busybox = Files.writeString(root.resolve("bin/busybox"), "");
        Files.setPosixFilePermissions(busybox, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
        Files.createDirectories(root.resolve("opt/cloche-test"));
        Path tool = Files.writeString(root.resolve("opt/cloche-test/tool"), "");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        // targets that exist only inside the rootfs: on the host they would dangle, in the container they resolve
        Files.createSymbolicLink(root.resolve("usr/bin/env"), Path.of("/opt/cloche-test/tool"));
        Files.createSymbolicLink(root.resolve("bin/escape"), Path.of("../../../../../../opt/cloche-test/tool"));
        Files.writeString(root.resolve("etc/data"), "not executable");
        Files.writeString(root.resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1001::/home/alice:/bin/sh\n");
        files = new ContainerFiles(root);
    }

    @Test
    void findsExecutablesAbsoluteRelativeAndOnPath() {
        assertThat(files.findExecutable("/bin/sh", "/", "")).contains("/bin/sh");
        assertThat(files.findExecutable("sh", "/", "/usr/bin:/bin")).contains("/bin/sh");
        assertThat(files.findExecutable("env", "/", "/usr/bin")).contains("/usr/bin/env");
        assertThat(files.findExecutable("./busybox", "/bin", "")).contains("/bin/./busybox");
    }

    @Test
    void missingOrNonExecutableIsNotFound() {
        assertThat(files.findExecutable("nope", "/", "/bin:/usr/bin")).isEmpty();
        assertThat(files.findExecutable("/etc/data", "/", "")).isEmpty();
        assertThat(files.findExecutable("sh", "/", "")).isEmpty();
        assertThat(files.findExecutable("", "/", "/bin")).isEmpty();
    }

    @Test
    void symlinksAndDotDotNeverLeaveTheRoot() {
        // ../../.. from /bin stops at the container's root
        assertThat(files.resolve("/bin/escape")).contains(root.resolve("opt/cloche-test/tool"));
        assertThat(files.findExecutable("/bin/escape", "/", "")).contains("/bin/escape");
        assertThat(files.resolve("/../../etc/passwd")).contains(root.resolve("etc/passwd"));
    }

    @Test
    void symlinkLoopsAreNotFound() throws IOException {
        Files.createSymbolicLink(root.resolve("bin/loop"), Path.of("/bin/loop"));
        assertThat(files.resolve("/bin/loop")).isEmpty();
    }

    @Test
    void usersByNameIdsOrDefaultRoot() {
        assertThat(files.user("")).isEqualTo(new ContainerFiles.User("root", 0, 0, "/root"));
        assertThat(files.user("alice")).isEqualTo(new ContainerFiles.User("alice", 1000, 1001, "/home/alice"));
        assertThat(files.user("1000:5")).isEqualTo(new ContainerFiles.User("1000:5", 1000, 5, "/home/alice"));
        assertThat(files.user("42").home()).isEqualTo("/");
        assertThatThrownBy(() -> files.user("bob")).isInstanceOf(GardenError.class).hasMessageContaining("unable to find user bob");
    }

    @Test
    void usersWithAGroupByNameOrNumber() throws IOException {
        Files.writeString(root.resolve("etc/group"), "root:x:0:\nstaff:x:50:alice\n");
        assertThat(files.user("alice:staff")).isEqualTo(new ContainerFiles.User("alice", 1000, 50, "/home/alice"));
        assertThat(files.user("alice:7")).isEqualTo(new ContainerFiles.User("alice", 1000, 7, "/home/alice"));
        assertThat(files.user("1000:staff").gid()).isEqualTo(50);
        assertThatThrownBy(() -> files.user("alice:nogroup")).isInstanceOf(GardenError.class)
                .hasMessageContaining("unable to find group nogroup");
    }
}
