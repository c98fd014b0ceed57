package dev.cloche.linux;

import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.linux.sys.HostProgram;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import dev.cloche.testkit.RootBackendExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Real daemon restarts with changed settings while containers live (docs/reliability.md): each container keeps the
 * runtime it was made with, and where one cannot be kept the restart is refused, never orphaning it.
 */
class RestartSettingsIT {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-restart")
            .network("clrs", "10.253.52.0/24", "42100-42199").build();

    private static String runtimeState(String runtime, String id) {
        Path binary = HostProgram.byCommand(runtime).flatMap(HostProgram::locate).orElseThrow();
        return TestShell.run(List.of(binary.toString(), "--root", ROOT.runtimeRoot().toString(), "state", id)).stdout();
    }

    private static BackendContainer restored(List<RestoredContainer> found, String handle) {
        RestoredContainer r = found.stream().filter(x -> x.handle().equals(handle)).findFirst().orElseThrow();
        assertThat(r.error()).as("restore of " + handle).isEmpty();
        return r.container().orElseThrow();
    }

    @Test
    void aRestartWithAnotherRuntimeKeepsEachContainerOnTheRuntimeItWasMadeWith() {
        BackendContainer byRunc = ROOT.create("by-runc");
        try (ContainerBackend crun = ROOT.open(Map.of("runtime", "crun"))) {
            List<RestoredContainer> found = crun.restore();
            BackendContainer kept = restored(found, byRunc.handle());
            assertThat(run(kept, ProcessSpec.of("echo", "still here")).stdout()).isEqualTo("still here\n");
            BackendContainer byCrun = crun.create(new dev.cloche.spi.BackendSpec(
                    dev.cloche.api.ContainerSpec.withHandle(ROOT.handle("by-crun"))));
            assertThat(runtimeState("crun", LinuxBackend.runtimeId(byCrun.handle()))).contains("\"running\"");
            assertThat(runtimeState("runc", LinuxBackend.runtimeId(byRunc.handle()))).contains("\"running\"");

            // and back to runc: both are kept, each on its own runtime, and each can be destroyed
            try (ContainerBackend runc = ROOT.open()) {
                List<RestoredContainer> again = runc.restore();
                assertThat(again).allSatisfy(r -> assertThat(r.error()).isEmpty());
                for (String h : List.of(byRunc.handle(), byCrun.handle())) {
                    BackendContainer c = restored(again, h);
                    assertThat(run(c, ProcessSpec.of("echo", h)).stdout()).isEqualTo(h + "\n");
                    ROOT.destroy(c);
                }
            }
        }
    }

    @Test
    void aRestartThatCannotKeepAContainerIsRefusedAndChangesNothing() throws IOException {
        Path runc = HostProgram.byCommand("runc").flatMap(HostProgram::locate).orElseThrow();
        Path link = Files.createDirectories(ROOT.depot().resolve("bin-moved")).resolve("runc");
        Files.createSymbolicLink(link, runc);
        BackendContainer c;
        try (ContainerBackend moved = ROOT.open(Map.of("runtimePath", link.toString()))) {
            moved.restore();
            c = moved.create(new dev.cloche.spi.BackendSpec(dev.cloche.api.ContainerSpec.withHandle(ROOT.handle("moved"))));
        }
        Files.delete(link);
        try (ContainerBackend without = ROOT.open()) {
            assertThatThrownBy(without::restore).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("container " + c.handle() + ": it was made with runc at " + link
                            + ", which is no longer there");
        }
        assertThat(runtimeState("runc", LinuxBackend.runtimeId(c.handle()))).as("left running").contains("\"running\"");

        Files.createSymbolicLink(link, runc);
        try (ContainerBackend back = ROOT.open()) {
            BackendContainer kept = restored(back.restore(), c.handle());
            assertThat(run(kept, ProcessSpec.of("echo", "kept")).stdout()).isEqualTo("kept\n");
            ROOT.destroy(kept);
        }
    }
}
