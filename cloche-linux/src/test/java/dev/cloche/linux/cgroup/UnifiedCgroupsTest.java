package dev.cloche.linux.cgroup;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.ContainerMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** cgroup v2 files as a v2 kernel writes them, read back in Garden's terms (this host is v1, so a fake tree). */
class UnifiedCgroupsTest {
    @TempDir
    Path root;

    private Path group() throws IOException {
        Files.writeString(root.resolve("cgroup.controllers"), "cpuset cpu io memory pids\n");
        Path g = Files.createDirectories(root.resolve("cloche/c1"));
        Files.writeString(g.resolve("cgroup.procs"), "101\n102\n");
        Files.writeString(g.resolve("memory.stat"), "anon 4096000\nfile 2048000\ninactive_file 48000\nfile_mapped 1000\npgfault 77\n");
        Files.writeString(g.resolve("memory.current"), "6200000\n");
        Files.writeString(g.resolve("memory.max"), "67108864\n");
        Files.writeString(g.resolve("memory.events"), "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
        Files.writeString(g.resolve("cpu.stat"), "usage_usec 2500\nuser_usec 2000\nsystem_usec 500\n");
        Files.writeString(g.resolve("pids.current"), "2\n");
        Files.writeString(g.resolve("pids.max"), "max\n");
        return g;
    }

    @Test
    void detectsAV2HostAndReportsItInGardensTerms() throws IOException {
        group();
        Cgroups c = CgroupFs.detect(root);
        assertThat(c).isInstanceOf(UnifiedCgroups.class);
        assertThat(c.pids("/cloche/c1")).containsExactly(101L, 102L);
        ContainerMetrics.MemoryStat m = c.memory("/cloche/c1");
        assertThat(m.field("total_rss")).isEqualTo(4096000);
        assertThat(m.field("total_cache")).isEqualTo(2048000);
        assertThat(m.field("hierarchical_memory_limit")).isEqualTo(64L << 20);
        assertThat(m.field("total_mapped_file")).isEqualTo(1000);
        assertThat(m.totalUsageTowardLimit()).isEqualTo(6200000 - 48000);
        assertThat(c.cpu("/cloche/c1")).isEqualTo(new ContainerMetrics.CpuStat(2_500_000, 2_000_000, 500_000));
        assertThat(c.pidStat("/cloche/c1")).isEqualTo(new ContainerMetrics.PidStat(2, 0));
        assertThat(c.oomKills("/cloche/c1")).isEqualTo(1);
    }

    @Test
    void aMissingGroupReadsAsEmptyAndRemovesAsGone() throws IOException {
        group();
        Cgroups c = CgroupFs.unified(root);
        assertThat(c.pids("/cloche/none")).isEmpty();
        assertThat(c.memory("/cloche/none")).isEqualTo(ContainerMetrics.MemoryStat.EMPTY);
        assertThat(c.oomKills("/cloche/none")).isZero();
        c.remove("/cloche/none");
        Files.createDirectories(root.resolve("cloche/c2/sub"));
        c.remove("/cloche/c2");
        assertThat(root.resolve("cloche/c2")).doesNotExist();
        assertThat(c.existing("/cloche/c1")).hasSize(1);
    }

    @Test
    void liveLimitsWriteMemoryMaxAndTheRuntimesWeightForShares() throws IOException {
        Path g = group();
        Files.writeString(g.resolve("cpu.weight"), "100\n");
        Cgroups c = CgroupFs.unified(root);
        c.setLimits("/cloche/c1", 32L << 20, 1024);
        assertThat(g.resolve("memory.max")).hasContent(Long.toString(32L << 20));
        assertThat(g.resolve("cpu.weight")).hasContent("39");
        c.setLimits("/cloche/c1", 0, 2);
        assertThat(g.resolve("memory.max")).hasContent("max");
        assertThat(g.resolve("cpu.weight")).hasContent("1");
    }

    @Test
    void aV1OrHybridHostIsNotUnified() {
        assertThat(CgroupFs.detect(root)).isInstanceOf(HybridCgroups.class);
    }
}
