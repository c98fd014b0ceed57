package dev.cloche.linux.sys;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CommandScratchTest {
    @TempDir Path base;

    @Test
    void theFilesOfJvmsThatAreGoneAreRemovedAndNothingElse() throws IOException {
        Path dead = Files.createDirectories(base.resolve("cloche-cmd-424242"));
        Files.writeString(dead.resolve("cmd1.out"), "left by a killed daemon");
        Path alive = Files.createDirectories(base.resolve("cloche-cmd-7"));
        Files.writeString(alive.resolve("cmd2.err"), "a command still running");
        Instant now = Instant.now();
        Path oldFlat = Files.writeString(base.resolve("cloche-cmd123.out"), "");
        Files.setLastModifiedTime(oldFlat, FileTime.from(now.minus(Duration.ofHours(2))));
        Path newFlat = Files.writeString(base.resolve("cloche-cmd456.err"), "");
        Path other = Files.createDirectories(base.resolve("cloche-cmd-notapid"));

        CommandScratch.sweep(base, pid -> pid == 7, now);

        try (var left = Files.list(base)) {
            assertThat(left.map(p -> p.getFileName().toString()).sorted().toList())
                    .isEqualTo(List.of("cloche-cmd-7", "cloche-cmd-notapid", "cloche-cmd456.err"));
        }
        assertThat(alive.resolve("cmd2.err")).exists();
        assertThat(other).isDirectory();
        assertThat(newFlat).exists();
    }

    @Test
    void commandsWriteTheirOutputInThisJvmsOwnDirectoryAndLeaveNothing() throws IOException {
        Path dir = CommandScratch.dir();
        assertThat(dir.getFileName().toString()).isEqualTo("cloche-cmd-" + ProcessHandle.current().pid());
        CommandResult r = new SpawningCommandRunner(Duration.ofSeconds(10), false).run(List.of("/bin/echo", "hi"));
        assertThat(r.stdout()).isEqualTo("hi\n");
        try (var left = Files.list(dir)) {
            assertThat(left.toList()).isEmpty();
        }
    }
}
