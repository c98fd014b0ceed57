package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.GardenError;
import dev.cloche.api.Signal;
import dev.cloche.linux.cgroup.FakeCgroups;
import dev.cloche.linux.oci.OciProcess;
import dev.cloche.linux.oci.OciRuntimes;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.DirectoryWatcher;
import dev.cloche.linux.sys.FakeProcessTable;
import dev.cloche.linux.sys.RecordingCommandRunner;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One container's processes with a scripted monitor: starts, failed starts, restores and release, without root. */
class MonitorSupervisorTest {
    private static final ContainerIdentity C1 = new ContainerIdentity("web", "c1", "/cloche/c1", false);
    private static final OciProcess SH = new OciProcess(List.of("sh"), List.of(), "/", 0, 0, List.of(), true, List.of());
    @TempDir Path tmp;
    private final FakeProcessTable table = new FakeProcessTable();
    private final FakeCgroups cgroups = new FakeCgroups();
    private final DirectoryWatcher watcher = new DirectoryWatcher(Duration.ofMillis(50));
    /** What the monitor does on each start, in order: a pid it reports (and the runtime recorded), or a failure. */
    private final Deque<MonitorRun> runs = new ArrayDeque<>();
    private long nextMonitor = 900;
    /** The --owner of each start: the process's host uid:gid. */
    private final List<String> owners = new java.util.ArrayList<>();

    private record MonitorRun(long pid, boolean fails) {}

    /** Each monitor launch waits for it to open, and counts {@link #launching} down first. */
    private volatile java.util.concurrent.CountDownLatch gate = new java.util.concurrent.CountDownLatch(0);
    private volatile java.util.concurrent.CountDownLatch launching = new java.util.concurrent.CountDownLatch(1);

    @AfterEach
    void close() {
        watcher.close();
    }

    private Depot.Entry entry() {
        return new Depot(tmp.resolve("depot"), tmp.resolve("processes")).entry("c1");
    }

    private MonitorSupervisor supervisor() {
        RecordingCommandRunner runner = new RecordingCommandRunner(argv -> {
            Path dir = Path.of(argv.get(argv.indexOf("--") - 1));
            launching.countDown();
            try {
                gate.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            owners.add(argv.get(argv.indexOf("--owner") + 1));
            MonitorRun run = runs.pop();
            long monitor = nextMonitor++;
            write(dir.resolve("monitor.pid"), Long.toString(monitor));
            table.add(monitor, 1, "/opt/cloche-monitor", dir.toString(), "--");
            write(dir.resolve("pid"), Long.toString(run.pid()));
            table.add(run.pid(), monitor, "sh");
            return run.fails() ? new CommandResult(1, "error: runtime failed (exit 255): read init-p\n", "")
                    : CommandResult.ok(run.pid() + "\n");
        });
        MonitorLauncher launcher = new MonitorLauncher(Path.of("/opt/cloche-monitor"),
                OciRuntimes.cli(runner, Path.of("/usr/sbin/runc"), Path.of("/run/r")), runner, watcher, table);
        LimitedStart once = new LimitedStart(cgroups, Duration.ZERO, d -> {}, () -> 0);
        // no process of these tests is a pea: the cleaner finds no pea directory and is never asked to clean one
        PeaCleaner peas = new PeaCleaner(C1, entry(), OciRuntimes.cli(runner, Path.of("/usr/sbin/runc"), Path.of("/run/r")),
                cgroups, null, null);
        return new MonitorSupervisor(C1, entry(), launcher, once, new StrayProcesses(C1, cgroups, table), peas);
    }

    @Test
    void aProcessStartsInTheNextDirectoryAndIsFoundByItsId() {
        runs.add(new MonitorRun(4242, false));
        MonitorSupervisor s = supervisor();
        BackendProcess p = s.start("web-1", SH);
        assertThat(s.find("web-1")).containsSame(p);
        assertThat(s.ids()).containsExactly("web-1");
        assertThat(((MonitoredProcess) ((OomReportingProcess) p).inner()).dir()).isEqualTo(entry().process(1));
        assertThat(owners).as("the stdio of container root belong to its host uid").containsExactly("4294967294:4294967294");
        p.signal(Signal.TERMINATE);
        assertThat(table.signals()).containsExactly("TERM 4242");
    }

    @Test
    void aStartingProcessHoldsUpNoLookupOfTheContainersProcesses() throws Exception {
        runs.add(new MonitorRun(100, false));
        runs.add(new MonitorRun(101, false));
        MonitorSupervisor s = supervisor();
        BackendProcess first = s.start("first", SH);
        gate = new java.util.concurrent.CountDownLatch(1);
        launching = new java.util.concurrent.CountDownLatch(1);
        var second = java.util.concurrent.CompletableFuture.supplyAsync(() -> s.start("second", SH), Thread::startVirtualThread);
        assertThat(launching.await(5, TimeUnit.SECONDS)).isTrue();
        // the second's monitor is being launched: info's lookups answer meanwhile
        var lookups = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            assertThat(s.find("first")).containsSame(first);
            return s.ids();
        }, Thread::startVirtualThread);
        assertThat(lookups.get(5, TimeUnit.SECONDS)).containsExactly("first");
        gate.countDown();
        assertThat(second.get(5, TimeUnit.SECONDS)).isNotNull();
        assertThat(s.ids()).containsExactly("first", "second");
    }

    @Test
    void aFailedStartKillsWhatTheRuntimeStartedIfItIsInTheContainerAndLeavesNoDirectory() {
        cgroups.pids("/cloche/c1", 1L, 4242L);
        runs.add(new MonitorRun(4242, true));
        MonitorSupervisor s = supervisor();
        assertThatThrownBy(() -> s.start("p", SH)).isInstanceOf(GardenError.class).hasMessageContaining("read init-p");
        assertThat(table.signals()).containsExactly("KILL 4242");
        assertThat(entry().process(1).dir()).doesNotExist();
        assertThat(s.ids()).isEmpty();

        runs.add(new MonitorRun(5555, true)); // not in the container's cgroup: a pid reused by someone else
        assertThatThrownBy(() -> s.start("p", SH)).isInstanceOf(GardenError.class);
        assertThat(table.signals()).containsExactly("KILL 4242");
    }

    @Test
    void aRunningIdIsABrokenContractAndAnExitedOneIsReplaced() throws Exception {
        runs.add(new MonitorRun(100, false));
        runs.add(new MonitorRun(101, false));
        MonitorSupervisor s = supervisor();
        BackendProcess first = s.start("p", SH);
        // the core reserves ids (BackendContainer.run): a second live start is a caller's bug, not a user's error
        assertThatThrownBy(() -> s.start("p", SH)).isInstanceOf(IllegalStateException.class);
        write(entry().process(1).exit(), "0");
        assertThat(first.exit().get(5, TimeUnit.SECONDS)).isZero();
        table.find(900).orElseThrow().kill(); // its monitor exits after recording the exit
        BackendProcess second = s.start("p", SH);
        assertThat(s.find("p")).containsSame(second);
        assertThat(entry().process(1).dir()).as("the replaced process's directory").doesNotExist();
        assertThat(entry().process(2).dir()).isDirectory();
    }

    @Test
    void aRestoreNumbersNewStartsAfterTheOldOnesKillsOrphansInTheContainerAndRemovesStartsThatNeverCompleted()
            throws IOException {
        Depot.Entry entry = entry();
        Depot.ProcessDir done = entry.process(3);
        write(done.id(), "done");
        write(done.exit(), "4");
        Depot.ProcessDir orphan = entry.process(5);
        write(orphan.id(), "doomed");
        write(orphan.pid(), "77");
        write(orphan.monitorPid(), "78"); // the monitor is gone
        table.add(77, 1, "sleep");
        cgroups.pids("/cloche/c1", 1L, 77L);
        Depot.ProcessDir never = entry.process(6);
        write(never.processJson(), "{}");

        MonitorSupervisor s = supervisor();
        s.restore();
        assertThat(s.ids()).containsExactly("done", "doomed");
        assertThat(s.find("done").orElseThrow().exit()).isCompletedWithValue(4);
        assertThat(s.find("doomed").orElseThrow().exit()).isCompletedWithValue(MonitoredProcess.LOST_EXIT);
        assertThat(table.signals()).containsExactly("KILL 77");
        assertThat(never.dir()).doesNotExist();

        runs.add(new MonitorRun(4242, false));
        s.start("new", SH);
        assertThat(entry.process(7).dir()).isDirectory();
    }

    @Test
    void releaseClosesEveryProcessAndRemovesTheirDirectories() throws Exception {
        runs.add(new MonitorRun(100, false));
        MonitorSupervisor s = supervisor();
        BackendProcess p = s.start("p", SH);
        s.awaitExits(Duration.ofMillis(50));
        assertThat(p.exit()).as("no exit in time: let go of, reported lost").isCompletedWithValue(MonitoredProcess.LOST_EXIT);
        table.slowDeaths(true);
        assertThat(s.release(Duration.ofMillis(50))).singleElement()
                .satisfies(e -> assertThat(e).hasMessageContaining("the monitor of process p did not exit"));
        table.find(900).orElseThrow().kill();
        assertThat(s.release(Duration.ofMillis(50))).isEmpty();
        assertThat(entry().processes()).doesNotExist();
    }

    private static void write(Path file, String content) {
        try {
            Files.createDirectories(file.getParent());
            // by rename, as the monitor writes: a watcher must never see half of a file
            Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
            Files.writeString(tmp, content);
            Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
