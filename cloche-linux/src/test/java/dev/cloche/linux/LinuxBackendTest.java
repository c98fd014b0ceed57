package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenError;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.RecordingCommandRunner;
import dev.cloche.spi.BackendSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The create recipe and its rollback, with a recording runner and fake cgroup/depot dirs (no root needed). */
class LinuxBackendTest {
    @TempDir Path tmp;
    private Path depot;
    private Path cgroups;
    private Map<String, String> settings;

    @BeforeEach
    void dirs() throws IOException {
        // the backend refuses a depot that user-namespaced container roots cannot traverse; @TempDir is rwx------
        Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwx--x--x"));
        depot = tmp.resolve("depot");
        cgroups = Files.createDirectories(tmp.resolve("cgroup"));
        Files.createDirectories(depot.resolve("rootfs"));
        settings = Map.of("depot", depot.toString(), "runtimePath", "/usr/sbin/runc", "runtimeRoot", tmp.resolve("run").toString(),
                "networkPool", "none", "processTmpfs", "none");
    }

    private LinuxBackend backend(RecordingCommandRunner runner) {
        return new LinuxBackend(Settings.from(settings), runner, dev.cloche.linux.sys.Mounts.commands(runner), cgroups);
    }

    @Test
    void mountsTheProcessTmpfsOnceAndNotOverProcessDirectoriesItWouldHide() throws IOException {
        Map<String, String> tmpfs = new java.util.HashMap<>(settings);
        tmpfs.put("processTmpfs", "64m");
        RecordingCommandRunner r = new RecordingCommandRunner();
        new LinuxBackend(Settings.from(tmpfs), r, dev.cloche.linux.sys.Mounts.commands(r), cgroups);
        assertThat(r.calls()).containsExactly(List.of("mount", "-t", "tmpfs", "cloche-processes", "-o",
                "size=64m,mode=0700,nosuid,nodev,noexec", depot.resolve("processes").toString()));

        Files.createDirectories(depot.resolve("processes/c1/1"));
        RecordingCommandRunner again = new RecordingCommandRunner();
        new LinuxBackend(Settings.from(tmpfs), again, dev.cloche.linux.sys.Mounts.commands(again), cgroups);
        assertThat(again.calls()).as("a mount would hide c1's process directories").isEmpty();

        tmpfs.put("processTmpfs", "lots");
        assertThatThrownBy(() -> Settings.from(tmpfs)).isInstanceOf(dev.cloche.api.InvalidRequestException.class)
                .hasMessageContaining("processTmpfs");
    }

    @Test
    void createRunsTheRecipeInOrder() {
        RecordingCommandRunner r = new RecordingCommandRunner();
        backend(r).create(new BackendSpec(ContainerSpec.withHandle("c1").withPrivileged(true)));
        Path dir = depot.resolve("containers/c1");
        assertThat(r.calls()).extracting(c -> String.join(" ", c.subList(0, Math.min(4, c.size())))).containsExactly(
                "du -s -B1 " + depot.resolve("rootfs"), // the image's size, once per image, for disk limits of scope total
                "du -s --inodes " + depot.resolve("rootfs"),
                "mount -t overlay overlay",
                "/usr/sbin/runc --root " + tmp.resolve("run") + " run");
        assertThat(dir.resolve("config.json")).content().contains("\"cgroupsPath\":\"/cloche/c1\"");
        assertThat(dir.resolve("meta.json")).content().contains("\"handle\":\"c1\"");
    }

    @Test
    void diskLimitsOfScopeTotalIncludeTheImageAndExclusiveOnesDoNot() {
        DepotMeta.ImageUse image = DepotMeta.ImageUse.directory(4_000_000, 400);
        var total = new dev.cloche.api.DiskLimits(0, 1000, 0, 10_000_000, dev.cloche.api.DiskLimits.DiskLimitScope.TOTAL);
        assertThat(ContainerRecipes.quota(total, image)).isEqualTo(new dev.cloche.linux.fs.DiskQuota(6_000_000, 600));
        var exclusive = new dev.cloche.api.DiskLimits(0, 1000, 0, 10_000_000, dev.cloche.api.DiskLimits.DiskLimitScope.EXCLUSIVE);
        assertThat(ContainerRecipes.quota(exclusive, image)).isEqualTo(new dev.cloche.linux.fs.DiskQuota(10_000_000, 1000));
        assertThat(ContainerRecipes.quota(dev.cloche.api.DiskLimits.NONE, image).limited()).isFalse();
        var tooSmall = new dev.cloche.api.DiskLimits(0, 0, 0, 1_000_000, dev.cloche.api.DiskLimits.DiskLimitScope.TOTAL);
        assertThatThrownBy(() -> ContainerRecipes.quota(tooSmall, image)).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("smaller than the image");
    }

    @Test
    void aFailedRuntimeCreateUndoesEveryStepInReverse() throws IOException {
        // a runtime that failed part-way leaves cgroup dirs behind; the rollback must remove them itself
        Files.createDirectories(cgroups.resolve("memory/cloche/c2"));
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> argv.contains("run")
                ? new CommandResult(1, "", "create failed") : argv.contains("state") ? new CommandResult(1, "", "no such container")
                : CommandResult.ok(argv.getFirst().equals("du") ? "0\t." : ""));
        assertThatThrownBy(() -> backend(r).create(new BackendSpec(ContainerSpec.withHandle("c2").withPrivileged(true))))
                .isInstanceOf(GardenError.class).hasMessageContaining("create failed");
        List<String> verbs = r.calls().stream().filter(c -> !c.getFirst().equals("du"))
                .map(c -> c.getFirst().equals("/usr/sbin/runc") ? c.get(3) : c.getFirst()).toList();
        assertThat(verbs).containsExactly("mount", "run", "kill", "delete");
        assertThat(cgroups.resolve("memory/cloche/c2")).doesNotExist();
        assertThat(depot.resolve("containers/c2")).doesNotExist();
    }

    @Test
    void rejectsMissingImagesAndTakenHandlesBeforeTouchingAnything() throws IOException {
        RecordingCommandRunner r = new RecordingCommandRunner();
        LinuxBackend b = backend(r);
        assertThatThrownBy(() -> b.create(new BackendSpec(ContainerSpec.withHandle("x").withImage(ImageRef.of("/no/such")))))
                .isInstanceOf(InvalidRequestException.class);
        // a form no backend takes; never a registry reference here: a unit test must not reach for the network
        assertThatThrownBy(() -> b.create(new BackendSpec(ContainerSpec.withHandle("x").withImage(ImageRef.of("ftp://host/busybox")))))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("docker://");
        Files.createDirectories(depot.resolve("containers/taken"));
        assertThatThrownBy(() -> b.create(new BackendSpec(ContainerSpec.withHandle("taken")))).isInstanceOf(AlreadyExistsException.class);
        Files.delete(depot.resolve("rootfs"));
        assertThatThrownBy(() -> b.create(new BackendSpec(ContainerSpec.withHandle("nodefault"))))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("make rootfs");
        assertThat(r.calls()).isEmpty();
    }

    @Test
    void restoreReportsContainersTheRuntimeNoLongerRunsAsBrokenAndKeepsTheirDataUntilDestroyed() throws IOException {
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> argv.contains("state") && argv.contains("alive")
                ? CommandResult.ok("{\"pid\": 12, \"status\": \"running\"}") : new CommandResult(1, "", "does not exist"));
        LinuxBackend b = backend(r);
        for (String id : List.of("alive", "dead")) {
            Depot.Entry entry = new Depot(depot, depot.resolve("processes")).entry(id);
            entry.create();
            entry.writeMeta(DepotMeta.of("handle-" + id, id, false, List.of(), 0, dev.cloche.api.Limits.NONE,
                    DepotMeta.ImageUse.directory(0, 0)));
        }
        Files.createDirectories(depot.resolve("containers/garbage"));
        Files.writeString(depot.resolve("containers/garbage/meta.json"), "{");
        // creates the daemon died inside before they recorded their container: nothing was made, nothing is listed
        Files.createDirectories(depot.resolve("containers/cut-empty"));
        Files.createDirectories(depot.resolve("containers/cut-marked"));
        Files.writeString(depot.resolve("containers/cut-marked/unfinished"), "create");
        Files.writeString(depot.resolve("containers/cut-marked/meta.json.tmp"), "{\"handle\":");
        var restored = b.restore();
        assertThat(restored).hasSize(3);
        assertThat(depot.resolve("containers/cut-empty")).doesNotExist();
        assertThat(depot.resolve("containers/cut-marked")).doesNotExist();
        assertThat(restored).filteredOn(x -> x.handle().equals("handle-alive")).singleElement()
                .satisfies(x -> assertThat(x.container()).isPresent());
        assertThat(restored).filteredOn(x -> x.handle().equals("handle-dead")).singleElement()
                .satisfies(x -> assertThat(x.error()).hasValueSatisfying(e -> assertThat(e).contains("unknown to runc")));
        assertThat(restored).filteredOn(x -> x.handle().equals("garbage")).singleElement()
                .satisfies(x -> assertThat(x.error()).hasValueSatisfying(e -> assertThat(e).contains("unreadable depot entry")));
        assertThat(depot.resolve("containers/dead")).isDirectory();
        // the data stays until the user destroys the broken container: then its leftovers go
        restored.stream().filter(x -> x.handle().equals("handle-dead")).findFirst().orElseThrow()
                .removeLeftovers().orElseThrow().run();
        assertThat(depot.resolve("containers/dead")).doesNotExist();
        assertThat(restored).filteredOn(x -> x.handle().equals("garbage")).singleElement()
                .satisfies(x -> assertThat(x.removeLeftovers()).isEmpty());
    }

    @Test
    void restoreFinishesACreateOrDestroyTheDaemonDiedInsideAndListsNothingOfIt() throws IOException {
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> new CommandResult(1, "", "does not exist"));
        LinuxBackend b = backend(r);
        for (String verb : List.of("create", "destroy")) {
            Depot.Entry entry = new Depot(depot, depot.resolve("processes")).entry("cut-" + verb);
            entry.create();
            entry.writeMeta(DepotMeta.of("handle-" + verb, "cut-" + verb, false, List.of(), 0, dev.cloche.api.Limits.NONE,
                    DepotMeta.ImageUse.directory(0, 0)));
            entry.unfinished(verb);
        }
        assertThat(b.restore()).as("nothing of a cut-short create or destroy is listed").isEmpty();
        assertThat(depot.resolve("containers/cut-create")).doesNotExist();
        assertThat(depot.resolve("containers/cut-destroy")).doesNotExist();
    }

    private Depot.Entry entry(String id, MadeWith madeWith) throws IOException {
        Depot.Entry entry = new Depot(depot, depot.resolve("processes")).entry(id);
        entry.create();
        entry.writeMeta(DepotMeta.of("handle-" + id, id, false, List.of(), 0, dev.cloche.api.Limits.NONE,
                DepotMeta.ImageUse.directory(0, 0), madeWith));
        return entry;
    }

    private Path executable(String name) throws IOException {
        Path p = Files.createDirectories(tmp.resolve("bin")).resolve(name);
        Files.writeString(p, "#!/bin/sh\n");
        p.toFile().setExecutable(true);
        return p;
    }

    /** A daemon restarted with another runtime keeps managing each container with the runtime it was made with. */
    @Test
    void restoreAsksEachContainersOwnRuntime() throws IOException {
        Path crun = executable("crun");
        Path crunRoot = tmp.resolve("crun-root");
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> !argv.getFirst().equals(crun.toString())
                ? new CommandResult(1, "", "does not exist")
                : argv.contains("list") ? CommandResult.ok("[{\"id\": \"made-by-crun\", \"pid\": 12, \"status\": \"running\"},"
                        + " {\"id\": \"stopped\", \"pid\": 0, \"status\": \"stopped\"}]")
                : new CommandResult(1, "", "unexpected"));
        LinuxBackend b = backend(r);
        entry("made-by-crun", new MadeWith("crun", crun.toString(), crunRoot.toString(), "cloche", ""));
        entry("stopped", new MadeWith("crun", crun.toString(), crunRoot.toString(), "cloche", ""));
        var restored = b.restore();
        assertThat(restored).filteredOn(x -> x.container().isPresent()).extracting(x -> x.handle()).containsExactly("handle-made-by-crun");
        assertThat(restored).filteredOn(x -> x.container().isEmpty()).singleElement()
                .satisfies(x -> assertThat(x.error()).hasValueSatisfying(w -> assertThat(w).contains("is stopped")));
        // one list for both containers, no state call per container
        assertThat(r.calls()).filteredOn(c -> c.getFirst().equals(crun.toString())).containsExactly(
                List.of(crun.toString(), "--root", crunRoot.toString(), "list", "--format", "json"));
    }

    /** A runtime whose list fails is asked container by container. */
    @Test
    void restoreAsksForEachContainerWhenTheRuntimeCannotList() throws IOException {
        Path crun = executable("crun");
        Path crunRoot = tmp.resolve("crun-root");
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> argv.getFirst().equals(crun.toString())
                && argv.contains("state") ? CommandResult.ok("{\"pid\": 12, \"status\": \"running\"}")
                : argv.contains("list") ? CommandResult.ok("not json") : new CommandResult(1, "", "does not exist"));
        LinuxBackend b = backend(r);
        entry("made-by-crun", new MadeWith("crun", crun.toString(), crunRoot.toString(), "cloche", ""));
        var restored = b.restore();
        assertThat(restored).singleElement().satisfies(x -> assertThat(x.container()).isPresent());
        assertThat(r.calls()).filteredOn(c -> c.contains("state")).containsExactly(
                List.of(crun.toString(), "--root", crunRoot.toString(), "state", "made-by-crun"));
    }

    /** An entry from before runtimes were recorded is looked for with each installed runtime, which is then recorded. */
    @Test
    void restoreFindsAnUnrecordedContainerWithTheOtherRuntimeAndRecordsIt() throws IOException {
        java.util.Optional<Path> crun = dev.cloche.linux.sys.HostProgram.byCommand("crun").flatMap(dev.cloche.linux.sys.HostProgram::locate);
        org.junit.jupiter.api.Assumptions.assumeTrue(crun.isPresent(), "crun is installed (make deps)");
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> argv.getFirst().equals(crun.get().toString())
                && argv.contains("state") ? CommandResult.ok("{\"pid\": 12, \"status\": \"running\"}")
                : new CommandResult(1, "", "does not exist"));
        LinuxBackend b = backend(r);
        Depot.Entry old = entry("old", MadeWith.UNRECORDED);
        var restored = b.restore();
        assertThat(restored).singleElement().satisfies(x -> assertThat(x.container()).isPresent());
        assertThat(old.readMeta().madeWith()).isEqualTo(new MadeWith("crun", crun.get().toString(),
                tmp.resolve("run").toString(), "cloche", ""));
    }

    /** Where a container cannot be kept, the daemon refuses to start, names it and why, and touches nothing. */
    @Test
    void restoreRefusesToOrphanAContainerItCannotKeep() throws IOException {
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> CommandResult.ok("{\"pid\": 12, \"status\": \"running\"}"));
        LinuxBackend b = backend(r);
        entry("fine", MadeWith.of(Settings.from(settings)));
        MadeWith gone = new MadeWith("crun", tmp.resolve("no/crun").toString(), tmp.resolve("run").toString(), "cloche", "");
        entry("gone", gone);
        Depot.Entry networked = entry("networked", new MadeWith("runc", "/usr/sbin/runc", tmp.resolve("run").toString(),
                "cloche", "old"));
        Files.writeString(networked.network().state(), "{}");
        assertThatThrownBy(b::restore).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("2 container(s)")
                .hasMessageContaining("container handle-gone: it was made with crun at " + tmp.resolve("no/crun")
                        + ", which is no longer there")
                .hasMessageContaining("container handle-networked: its network was made with networkPrefix old, and "
                        + "this daemon has networking off (networkPool=none)")
                .hasMessageNotContaining("handle-fine");
        assertThat(r.calls()).as("nothing was asked or changed").isEmpty();
    }
}
