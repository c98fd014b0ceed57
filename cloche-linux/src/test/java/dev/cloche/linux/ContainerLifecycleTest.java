package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.linux.cgroup.FakeCgroups;
import dev.cloche.linux.fs.DiskQuota;
import dev.cloche.linux.fs.VolumeLayout;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.net.ContainerNet;
import dev.cloche.linux.oci.OciProcess;
import dev.cloche.linux.sys.FakeProcessTable;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stop and destroy against fakes of everything they touch, in the order they touch it. */
class ContainerLifecycleTest {
    private static final ContainerIdentity C1 = new ContainerIdentity("web", "c1", "/cloche/c1", false);
    @TempDir Path tmp;
    /** Every step of every fake, in order. */
    private final List<String> steps = new ArrayList<>();
    private final FakeProcessTable table = new FakeProcessTable();
    private final FakeCgroups cgroups = new FakeCgroups();
    private final RecordingRuntime runtime = new RecordingRuntime();
    private final ContainerStatus status = new ContainerStatus("web");
    private Depot.Entry entry;
    private volatile RuntimeException volumeFailure;

    private final ProcessSupervisor processes = new ProcessSupervisor() {
        @Override public BackendProcess start(String id, OciProcess process) { throw new UnsupportedOperationException(); }
        @Override public BackendProcess startPea(String id, OciProcess process, String peaId, Path bundleDir, String group) {
            throw new UnsupportedOperationException();
        }
        @Override public Optional<BackendProcess> find(String id) { return Optional.empty(); }
        @Override public List<String> ids() { return List.of(); }
        @Override public void restore() {}
        @Override public void awaitExits(Duration timeout) { steps.add("await exits"); }
        @Override public List<RuntimeException> release(Duration timeout) {
            steps.add("release processes");
            return List.of();
        }
    };

    private final Volumizer volumes = new Volumizer() {
        @Override public Path create(java.util.List<Path> lowerDirs, VolumeLayout layout, DiskQuota quota) { throw new UnsupportedOperationException(); }
        @Override public void detach(VolumeLayout layout) {}
        @Override public Path attach(VolumeLayout layout) { return layout.merged(); }
        @Override public Usage usage(VolumeLayout layout) { return new Usage(0, 0); }
        @Override public void destroy(VolumeLayout layout) {
            steps.add("destroy volume");
            if (volumeFailure != null) throw volumeFailure;
        }
    };

    private final ContainerNet net = new ContainerNet() {
        @Override public String hostIp() { return ""; }
        @Override public String containerIp() { return ""; }
        @Override public String externalIp() { return ""; }
        @Override public List<PortMapping> mappedPorts() { return List.of(); }
        @Override public PortMapping netIn(int hostPort, int containerPort) { throw new UnsupportedOperationException(); }
        @Override public void netOut(List<NetOutRule> rules) {}
        @Override public Optional<ContainerMetrics.NetworkStat> stats() { return Optional.empty(); }
        @Override public void release() { steps.add("release network"); }
    };

    @BeforeEach
    void entry() throws IOException {
        entry = new Depot(tmp.resolve("depot"), tmp.resolve("processes")).entry("c1");
        Files.createDirectories(entry.dir());
        Files.writeString(entry.initPid(), "10\n");
        table.add(10, 1, "/tmp/garden-init");
        table.add(11, 10, "sh");
        table.add(12, 10, "sleep");
        cgroups.pids("/cloche/c1", 10L, 11L, 12L);
    }

    private ContainerLifecycle lifecycle() {
        return new ContainerLifecycle(C1, entry, status, processes, runtime, cgroups, table, volumes,
                () -> steps.add("release image"));
    }

    @Test
    void aGracefulStopTermsEveryProcessButTheInitThenKillsThemAll() {
        lifecycle().stop(false);
        assertThat(table.signals()).containsExactly("TERM 11", "TERM 12");
        assertThat(runtime.calls()).containsExactly("kill c1 KILL all");
        assertThat(steps).containsExactly("await exits");
        assertThat(status.stopped()).isTrue();
    }

    @Test
    void aKillingStopSendsNoTerm() {
        lifecycle().stop(true);
        assertThat(table.signals()).isEmpty();
        assertThat(runtime.calls()).containsExactly("kill c1 KILL all");
        assertThat(status.stopped()).isTrue();
    }

    @Test
    void processesThatSurviveKillFailTheStop() {
        table.slowDeaths(true);
        assertThatThrownBy(() -> lifecycle().stop(true)).isInstanceOf(GardenError.class)
                .hasMessage("processes of web survived SIGKILL");
        assertThat(status.stopped()).isFalse();
    }

    @Test
    void theInitIsKilledThroughThePidfdWhileItIsInTheContainerElseByTheRuntime() {
        lifecycle().removeRuntime();
        assertThat(table.signals()).containsExactly("KILL 10");
        assertThat(runtime.calls()).containsExactly("delete c1");
        assertThat(cgroups.calls()).containsExactly("remove /cloche/c1");

        table.add(10, 1, "someone-else"); // a recycled pid, outside the container's cgroup
        cgroups.pids("/cloche/c1", 11L);
        lifecycle().removeRuntime();
        assertThat(table.signals()).containsExactly("KILL 10");
        assertThat(runtime.calls()).containsExactly("delete c1", "kill c1 KILL all", "delete c1");
    }

    @Test
    void processesOfAContainerTheRuntimeDoesNotKnowAreKilledThroughTheCgroup() {
        // a runtime killed inside its run: no init pid recorded, the runtime knows no container, its processes live on
        entry.initPid().toFile().delete();
        runtime.knowsContainers = false;
        lifecycle().removeRuntime();
        assertThat(table.signals()).containsExactlyInAnyOrder("KILL 10", "KILL 11", "KILL 12");
        assertThat(runtime.calls()).containsExactly("kill c1 KILL all", "delete c1");
        assertThat(cgroups.calls()).containsExactly("remove /cloche/c1");
    }

    @Test
    void destroyRemovesEverythingInOrderAndTheEntryLast() {
        lifecycle().destroy(net);
        assertThat(steps).containsExactly("await exits", "release processes", "release network", "destroy volume",
                "release image");
        assertThat(runtime.calls()).containsExactly("delete c1");
        assertThat(entry.dir()).doesNotExist();
        assertThatThrownBy(status::requireExists).isInstanceOf(ContainerNotFoundException.class);
    }

    @Test
    void aRuntimeDeleteThatFailsAfterEveryProcessIsGoneIsFinishedByRemovingTheRuntimeState() {
        runtime.deleteFailure = new dev.cloche.api.ServiceUnavailableException("runtime delete c1 hung");
        lifecycle().destroy(net);
        assertThat(runtime.calls()).containsExactly("delete c1", "forget c1");
        assertThat(entry.dir()).doesNotExist();
    }

    @Test
    void aVolumeThatCannotBeUnmountedKeepsTheEntryAndEveryFailureIsReported() {
        volumeFailure = GardenError.internal("overlay still mounted");
        runtime.deleteFailure = GardenError.internal("runtime delete c1 failed");
        runtime.forgetFailure = GardenError.internal("cannot remove the runtime state");
        assertThatThrownBy(() -> lifecycle().destroy(net)).isInstanceOf(GardenError.class)
                .hasMessage("destroying web left: [cannot remove the runtime state, overlay still mounted]");
        assertThat(steps).containsExactly("await exits", "release processes", "release network", "destroy volume");
        assertThat(entry.dir()).as("never deleted through a mounted root").isDirectory();
        assertThatThrownBy(status::requireExists).isInstanceOf(ContainerNotFoundException.class);
    }
}
