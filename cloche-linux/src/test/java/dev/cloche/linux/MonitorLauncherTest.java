package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.GardenError;
import dev.cloche.linux.MonitorLauncher.Found;
import dev.cloche.linux.ProcessState.Exited;
import dev.cloche.linux.ProcessState.Orphaned;
import dev.cloche.linux.ProcessState.Running;
import dev.cloche.linux.oci.OciProcess;
import dev.cloche.linux.oci.OciRuntimes;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.DirectoryWatcher;
import dev.cloche.linux.sys.FakeProcessTable;
import dev.cloche.linux.sys.RecordingCommandRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Starting under the monitor, and what a restart decides for each process directory (docs/process-monitor.md §5). */
class MonitorLauncherTest {
    private static final Path MONITOR = Path.of("/opt/cloche/cloche-monitor");
    /** Container root of an unprivileged container and group 1000. */
    private static final MonitorLauncher.StdioOwner OWNER = new MonitorLauncher.StdioOwner(4294967294L, 1000);
    @TempDir Path tmp;
    private final FakeProcessTable table = new FakeProcessTable();
    private final DirectoryWatcher watcher = new DirectoryWatcher(Duration.ofMillis(50));

    @AfterEach
    void close() {
        watcher.close();
    }

    private MonitorLauncher launcher(Function<List<String>, CommandResult> monitor) {
        RecordingCommandRunner runner = new RecordingCommandRunner(monitor);
        return new MonitorLauncher(MONITOR, OciRuntimes.cli(runner, Path.of("/usr/sbin/runc"), Path.of("/run/r")), runner,
                watcher, table);
    }

    private Depot.ProcessDir dir(String name) throws IOException {
        return new Depot.ProcessDir(Files.createDirectories(tmp.resolve(name)));
    }

    private static OciProcess process(Optional<OciProcess.ConsoleSize> console) {
        return new OciProcess(List.of("sh"), List.of(), "/", 0, 0, List.of(), true, List.of(), console);
    }

    @Test
    void aStartRunsTheRuntimeUnderTheMonitorAndAdoptsIt() throws Exception {
        Depot.ProcessDir dir = new Depot.ProcessDir(tmp.resolve("1"));
        table.add(77, 1, MONITOR.toString(), dir.dir().toString(), "--");
        List<List<String>> argv = new java.util.ArrayList<>();
        MonitoredProcess p = launcher(a -> {
            argv.add(a);
            write(dir.monitorPid(), "77\n");
            return CommandResult.ok("4242\n");
        }).launch("c1", "web", dir, process(Optional.of(new OciProcess.ConsoleSize(30, 100))), OWNER);
        assertThat(argv.getFirst()).startsWith(MONITOR.toString(), "--tty", "30x100", "--owner", "4294967294:1000",
                dir.dir().toString(), "--",
                "/usr/sbin/runc").contains("--console-socket", "@CONSOLE@").endsWith("c1");
        assertThat(p.state()).isEqualTo(new Running(4242, MonitoredProcess.monitorOf(dir, table)));
        assertThat(p.state().monitor().pid()).isEqualTo(77);
        assertThat(dir.id()).hasContent("web");
        assertThat(dir.tty()).exists();
        assertThat(dir.processJson()).content().contains("\"terminal\":true");

        write(dir.exit(), "3");
        assertThat(p.exit().get(5, TimeUnit.SECONDS)).as("the watch sees the exit").isEqualTo(3);
        p.close();
    }

    @Test
    void aPeaIsTheRuntimeRunningItsBundleUnderTheMonitorAndItsDirectoryNamesIt() throws Exception {
        Depot.ProcessDir dir = new Depot.ProcessDir(tmp.resolve("1"));
        table.add(78, 1, MONITOR.toString(), dir.dir().toString(), "--");
        List<List<String>> argv = new java.util.ArrayList<>();
        MonitoredProcess p = launcher(a -> {
            argv.add(a);
            write(dir.monitorPid(), "78\n");
            return CommandResult.ok("4343\n");
        }).launch(new MonitorLauncher.Target.Pea("c1-pea-ab", tmp.resolve("peas/c1-pea-ab"), dev.cloche.linux.oci.SessionKeyring.INHERITED), "web", dir, process(Optional.empty()), OWNER);
        assertThat(argv.getFirst()).startsWith(MONITOR.toString(), "--owner", "4294967294:1000", dir.dir().toString(), "--",
                        "/usr/sbin/runc")
                .containsSubsequence("run", "--detach", "--pid-file", dir.pid().toString(), "--bundle",
                        tmp.resolve("peas/c1-pea-ab").toString()).doesNotContain("exec", "--console-socket").endsWith("c1-pea-ab");
        assertThat(dir.pea()).hasContent("c1-pea-ab");
        assertThat(p.state()).isEqualTo(new Running(4343, MonitoredProcess.monitorOf(dir, table)));
        p.close();
        assertThat(p.letGo()).as("closed before its exit was seen").isTrue();
    }

    @Test
    void aFailedStartCarriesTheRuntimesMessageAndLeavesTheProcessClosed() throws IOException {
        Depot.ProcessDir dir = new Depot.ProcessDir(tmp.resolve("1"));
        assertThatThrownBy(() -> launcher(a -> new CommandResult(1, "error: runtime failed (exit 1): exec: \"nope\"\n", ""))
                .launch("c1", "p", dir, process(Optional.empty()), OWNER))
                .isInstanceOf(GardenError.class).hasMessage("cannot start process p: runtime failed (exit 1): exec: \"nope\"");
        assertThat(dir.tty()).doesNotExist();
        assertThatThrownBy(() -> launcher(a -> new CommandResult(2, "", "boom")).launch("c1", "p", dir("2"), process(Optional.empty()), OWNER))
                .hasMessageEndingWith("monitor exit 2: boom");
    }

    @Test
    void aTtyWhoseConsoleSocketPathIsTooLongIsRefusedBeforeAnythingIsMade() {
        Depot.ProcessDir dir = new Depot.ProcessDir(tmp.resolve("x".repeat(120)));
        assertThatThrownBy(() -> launcher(a -> CommandResult.ok("1")).launch("c1", "p", dir, process(Optional.of(
                new OciProcess.ConsoleSize(24, 80))), OWNER)).hasMessageContaining("too long for a TTY console socket");
        assertThat(dir.dir()).doesNotExist();
    }

    @Test
    void aRecordedExitIsRestoredAsExited() throws IOException {
        Depot.ProcessDir dir = dir("1");
        write(dir.id(), "done");
        write(dir.pid(), "50");
        write(dir.exit(), "3");
        Found found = launcher(a -> CommandResult.ok("")).reattach(dir);
        assertThat(found).isInstanceOfSatisfying(Found.Restored.class, r -> {
            assertThat(r.process().id()).isEqualTo("done");
            assertThat(r.process().state()).isInstanceOf(Exited.class);
            assertThat(r.process().exit()).isCompletedWithValue(3);
            assertThat(r.process().orphan()).isEmpty();
        });
    }

    @Test
    void aLiveMonitorOfThisDirectoryIsFollowedAgain() throws Exception {
        Depot.ProcessDir dir = dir("2");
        write(dir.id(), "cat");
        write(dir.pid(), "51");
        write(dir.monitorPid(), "61");
        table.add(61, 1, "/usr/lib/cloche/cloche-monitor", dir.dir().toString(), "--", "runc");
        Found found = launcher(a -> CommandResult.ok("")).reattach(dir);
        MonitoredProcess p = ((Found.Restored) found).process();
        assertThat(p.state()).isInstanceOf(Running.class);
        assertThat(p.exit()).isNotDone();
        write(dir.exit(), "0");
        assertThat(p.exit().get(5, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void aMonitorPidNowUsedByAnotherProcessIsNotTheMonitor() throws IOException {
        Depot.ProcessDir dir = dir("3");
        write(dir.id(), "doomed");
        write(dir.pid(), "52");
        write(dir.monitorPid(), "62");
        table.add(62, 1, "/usr/bin/something-else", dir.dir().toString());
        MonitoredProcess p = ((Found.Restored) launcher(a -> CommandResult.ok("")).reattach(dir)).process();
        assertThat(p.state()).isEqualTo(new Orphaned(52, MonitoredProcess.monitorOf(dir, table)));
        assertThat(p.exit()).isCompletedWithValue(MonitoredProcess.LOST_EXIT);
        assertThat(p.orphan()).hasValue(52);
    }

    @Test
    void aKilledMonitorLeavesAnOrphanWithItsStatusLost() throws IOException {
        Depot.ProcessDir dir = dir("4");
        write(dir.id(), "doomed");
        write(dir.pid(), "53");
        write(dir.monitorPid(), "63");
        MonitoredProcess p = ((Found.Restored) launcher(a -> CommandResult.ok("")).reattach(dir)).process();
        assertThat(p.state()).isInstanceOf(Orphaned.class);
        assertThat(p.orphan()).hasValue(53);
    }

    @Test
    void aStartThatNeverCompletedIsNotRestored() throws IOException {
        Depot.ProcessDir noId = dir("5");
        assertThat(launcher(a -> CommandResult.ok("")).reattach(noId))
                .isEqualTo(new Found.NeverStarted(noId, "no process id recorded"));
        Depot.ProcessDir noPid = dir("6");
        write(noPid.id(), "p");
        write(noPid.monitorPid(), "64");
        assertThat(launcher(a -> CommandResult.ok("")).reattach(noPid)).isInstanceOf(Found.NeverStarted.class);
    }

    @Test
    void aLiveMonitorStillRunningTheRuntimeIsFollowedWithoutAPid() throws IOException {
        Depot.ProcessDir dir = dir("7");
        write(dir.id(), "slow");
        write(dir.monitorPid(), "65");
        table.add(65, 1, "cloche-monitor", dir.dir().toString());
        MonitoredProcess p = ((Found.Restored) launcher(a -> CommandResult.ok("")).reattach(dir)).process();
        assertThat(p.state()).isEqualTo(new Running(-1, MonitoredProcess.monitorOf(dir, table)));
        p.close();
    }

    private static void write(Path file, String content) {
        try {
            // by rename, as the monitor writes: a watcher must never see half of a file
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, content);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
