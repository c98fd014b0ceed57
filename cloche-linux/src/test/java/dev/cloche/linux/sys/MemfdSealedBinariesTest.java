package dev.cloche.linux.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemfdSealedBinariesTest {
    private final CommandRunner runner = CommandRunners.spawning(Duration.ofSeconds(30));

    @TempDir
    Path dir;

    private Path tool(String from) throws IOException {
        Path t = dir.resolve("tool");
        Files.copy(Path.of(from), t, StandardCopyOption.REPLACE_EXISTING);
        Files.setPosixFilePermissions(t, PosixFilePermissions.fromString("rwxr-xr-x"));
        return t;
    }

    @Test
    void aBinaryRunsFromASealedCopyThatCannotBeWritten() throws IOException {
        Path tool = tool("/bin/echo");
        try (SealedBinaries sealed = SealedBinaries.memfd(runner)) {
            Path copy = sealed.executable(tool);
            assertThat(copy.toString()).startsWith("/proc/" + ProcessHandle.current().pid() + "/fd/");
            assertThat(runner.run(List.of(copy.toString(), "from", "the", "copy")).stdout()).isEqualTo("from the copy\n");
            assertThat(MemfdSealedBinaries.seals(copy)).isEqualTo(MemfdSealedBinaries.ALL_SEALS);
            assertThatThrownBy(() -> Files.write(copy, new byte[] {1}, StandardOpenOption.WRITE))
                    .as("a sealed copy refuses writes, as the runtime's own copy does").isInstanceOf(IOException.class);
            assertThatThrownBy(() -> Files.write(copy, new byte[] {1}, StandardOpenOption.APPEND)).isInstanceOf(IOException.class);
            assertThat(Files.readAllBytes(copy)).isEqualTo(Files.readAllBytes(tool));
            assertThat(sealed.executable(tool)).as("the same file, the same copy").isEqualTo(copy);
        }
    }

    @Test
    void aBinaryReplacedOnDiskGetsAFreshCopy() throws IOException {
        Path tool = tool("/bin/echo");
        try (SealedBinaries sealed = SealedBinaries.memfd(runner)) {
            Path first = sealed.executable(tool);
            tool("/bin/true");
            Path second = sealed.executable(tool);
            assertThat(second).isNotEqualTo(first);
            assertThat(runner.run(List.of(second.toString(), "hi")).stdout()).as("now /bin/true").isEmpty();
            assertThat(runner.run(List.of(first.toString(), "hi")).stdout()).as("the first copy still runs").isEqualTo("hi\n");
        }
    }

    @Test
    void whatCannotRunFromACopyRunsFromItsFile() throws IOException {
        Path script = dir.resolve("wrapper");
        Files.writeString(script, "#!/bin/sh\nexec /bin/echo \"$0\"\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        try (SealedBinaries sealed = SealedBinaries.memfd(runner)) {
            assertThat(sealed.executable(script)).as("a script keeps its path").isEqualTo(script);
            Path falseTool = tool("/bin/false");
            assertThat(sealed.executable(falseTool)).as("a copy whose --version fails").isEqualTo(falseTool);
            assertThat(sealed.executable(dir.resolve("missing"))).isEqualTo(dir.resolve("missing"));
        }
    }

    @Test
    void afterCloseEveryBinaryRunsFromItsFile() throws IOException {
        Path tool = tool("/bin/echo");
        SealedBinaries sealed = SealedBinaries.memfd(runner);
        Path copy = sealed.executable(tool);
        sealed.close();
        assertThat(Files.exists(copy)).as("the memfd is closed").isFalse();
        assertThat(sealed.executable(tool)).isEqualTo(tool);
        sealed.close();
    }
}
