package dev.cloche.linux.cgroup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.GardenException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Live limit updates on a directory tree shaped like cgroup v1 (the kernel's refusals are covered by the ITs). */
class HybridCgroupsTest {
    @TempDir
    Path root;

    private Path group(String controller) throws IOException {
        return Files.createDirectories(root.resolve(controller).resolve("parent/c1"));
    }

    @Test
    void writesMemoryAndSharesAndAFiniteSwapLimitFollows() throws IOException {
        Path mem = group("memory");
        Path cpu = group("cpu");
        Files.writeString(mem.resolve("memory.limit_in_bytes"), "67108864\n");
        Files.writeString(mem.resolve("memory.memsw.limit_in_bytes"), "67108864\n");
        CgroupFs.hybrid(root).setLimits("/parent/c1", 128L << 20, 300);
        assertThat(Files.readString(mem.resolve("memory.limit_in_bytes"))).isEqualTo(Long.toString(128L << 20));
        assertThat(Files.readString(mem.resolve("memory.memsw.limit_in_bytes"))).isEqualTo(Long.toString(128L << 20));
        assertThat(Files.readString(cpu.resolve("cpu.shares"))).isEqualTo("300");
    }

    @Test
    void zeroMeansUnlimitedAndTheDefaultShares() throws IOException {
        Path mem = group("memory");
        Path cpu = group("cpu");
        Files.writeString(mem.resolve("memory.limit_in_bytes"), "67108864\n");
        Files.writeString(mem.resolve("memory.memsw.limit_in_bytes"), "9223372036854771712\n");
        CgroupFs.hybrid(root).setLimits("/parent/c1", 0, 0);
        assertThat(Files.readString(mem.resolve("memory.limit_in_bytes"))).isEqualTo("-1");
        assertThat(Files.readString(mem.resolve("memory.memsw.limit_in_bytes"))).isEqualTo("9223372036854771712\n"); // untouched
        assertThat(Files.readString(cpu.resolve("cpu.shares"))).isEqualTo("1024");
    }

    @Test
    void aMissingGroupIsAnError() {
        assertThatThrownBy(() -> CgroupFs.hybrid(root).setLimits("/parent/gone", 1 << 20, 2))
                .isInstanceOf(GardenException.class).hasMessageContaining("does not exist");
    }
}
