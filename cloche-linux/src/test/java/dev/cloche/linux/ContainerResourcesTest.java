package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.linux.cgroup.FakeCgroups;
import dev.cloche.linux.fs.DiskQuota;
import dev.cloche.linux.fs.VolumeLayout;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.net.ContainerNet;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ContainerResourcesTest {
    private static final ContainerIdentity C1 = new ContainerIdentity("web", "c1", "/cloche/c1", false);
    private static final Limits LIMITS = Limits.NONE.withMemory(new MemoryLimits(64 << 20)).withPid(new PidLimits(10));
    @TempDir Path tmp;
    private final FakeCgroups cgroups = new FakeCgroups();
    private final ContainerStatus status = new ContainerStatus("web");

    /** Reports a fixed usage of the writable layer. */
    private static final Volumizer WROTE_100 = new Volumizer() {
        @Override public Path create(java.util.List<Path> lowerDirs, VolumeLayout layout, DiskQuota quota) { throw new UnsupportedOperationException(); }
        @Override public void detach(VolumeLayout layout) {}
        @Override public Path attach(VolumeLayout layout) { return layout.merged(); }
        @Override public Usage usage(VolumeLayout layout) { return new Usage(100, 3); }
        @Override public void destroy(VolumeLayout layout) {}
    };

    private ContainerResources resources(Depot.Entry entry) {
        DepotMeta meta = DepotMeta.of("web", "c1", false, List.of(), 1_000, LIMITS, DepotMeta.ImageUse.directory(4000, 40));
        return new ContainerResources(C1, entry, meta, status, cgroups, WROTE_100, () -> 61_000);
    }

    private Depot.Entry entry() throws IOException {
        Depot.Entry e = new Depot(tmp, tmp.resolve("processes")).entry("c1");
        java.nio.file.Files.createDirectories(e.dir());
        return e;
    }

    @Test
    void memoryAndCpuChangeInTheCgroupAndAreRecorded() throws IOException {
        Depot.Entry entry = entry();
        ContainerResources r = resources(entry);
        Limits more = LIMITS.withMemory(new MemoryLimits(128 << 20)).withCpu(new CpuLimits(0, 512));
        r.updateLimits(more);
        assertThat(cgroups.calls()).containsExactly("setLimits /cloche/c1 134217728 512");
        assertThat(r.limits()).isEqualTo(more);
        assertThat(entry.readMeta().limits()).isEqualTo(more);
        assertThatThrownBy(() -> r.updateLimits(more.withPid(new PidLimits(20)))).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void limitsThatCannotBeRecordedAreUndoneInTheCgroup() {
        ContainerResources r = resources(new Depot(tmp, tmp).entry("no-entry"));
        assertThatThrownBy(() -> r.updateLimits(LIMITS.withMemory(new MemoryLimits(128 << 20))))
                .isInstanceOf(GardenError.class).hasMessageStartingWith("cannot record new limits of web");
        assertThat(cgroups.calls()).containsExactly("setLimits /cloche/c1 134217728 0", "setLimits /cloche/c1 67108864 0");
        assertThat(r.limits()).isEqualTo(LIMITS);
    }

    @Test
    void metricsAddTheImageToTheDiskAndCountTheAgeFromTheCreation() throws IOException {
        cgroups.pids("/cloche/c1", 1L, 2L);
        ContainerMetrics m = resources(entry()).metrics(ContainerNet.none());
        assertThat(m.disk()).isEqualTo(new ContainerMetrics.DiskStat(4100, 43, 100, 3));
        assertThat(m.age()).isEqualTo(Duration.ofSeconds(60));
        assertThat(m.pid().current()).isEqualTo(2);
        assertThat(m.network()).isEmpty();
    }

    @Test
    void anOomKillIsGardensOomEventAndAGoneContainerHasNoLimits() throws IOException {
        ContainerResources r = resources(entry());
        assertThat(r.events()).isEmpty();
        cgroups.oomKills = 1;
        assertThat(r.events()).containsExactly("oom");
        status.markDestroyed();
        assertThatThrownBy(r::limits).isInstanceOf(dev.cloche.api.ContainerNotFoundException.class);
    }
}
