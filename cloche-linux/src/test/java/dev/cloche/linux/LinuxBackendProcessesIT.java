package dev.cloche.linux;

import static dev.cloche.linux.Runs.readAll;
import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.linux.Runs.Result;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import dev.cloche.testkit.RootBackendExtension;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Processes of the Linux backend for real: output and exit status, output released once consumed, terminals, failed
 * starts, and processes that outlive their backend and are restored.
 */
class LinuxBackendProcessesIT {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-processes")
            .network("clpc", "10.253.40.0/24", "41700-41799").build();

    private static BackendContainer create(ContainerSpec spec) {
        return ROOT.create(spec);
    }

    private static String handle(String prefix) {
        return ROOT.handle(prefix);
    }

    private static BackendContainer create(String prefix) {
        return ROOT.create(prefix);
    }

    private static void destroy(BackendContainer c) {
        ROOT.destroy(c);
    }

    @Test
    void processesReportOutputAndExitStatus() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(handle("proc")).withEnv(List.of("A=container", "B=container")));
        assertThat(run(c, ProcessSpec.of("echo", "hello"))).isEqualTo(new Result(0, "hello\n", ""));
        assertThat(run(c, ProcessSpec.of("sh", "-c", "echo err >&2; exit 3"))).isEqualTo(new Result(3, "", "err\n"));

        BackendProcess killed = c.run(ProcessSpec.of("sleep", "100").withId("kill"));
        killed.signal(Signal.KILL);
        assertThat(killed.exit().get(10, TimeUnit.SECONDS)).isEqualTo(137);
        BackendProcess termed = c.run(ProcessSpec.of("sleep", "100").withId("term"));
        termed.signal(Signal.TERMINATE);
        assertThat(termed.exit().get(10, TimeUnit.SECONDS)).isEqualTo(143);

        BackendProcess late = c.run(ProcessSpec.of("sh", "-c", "echo one; echo two >&2").withId("late"));
        assertThat(late.exit().get(10, TimeUnit.SECONDS)).isZero();
        assertThat(readAll(late.openStdout())).isEqualTo("one\n");
        assertThat(readAll(late.openStderr())).isEqualTo("two\n");
        assertThat(c.processIds()).contains("kill", "term", "late");

        BackendProcess cat = c.run(ProcessSpec.of("cat").withId("stdin"));
        cat.stdin().write("piped\n".getBytes(StandardCharsets.UTF_8));
        cat.stdin().close();
        assertThat(cat.exit().get(10, TimeUnit.SECONDS)).isZero();
        assertThat(readAll(cat.openStdout())).isEqualTo("piped\n");
        cat.stdin().write(1); // after exit: swallowed

        assertThat(run(c, ProcessSpec.of("sh", "-c", "id -u; pwd; echo $HOME $USER").withUser("nobody")).stdout())
                .isEqualTo("65534\n/nonexistent\n/nonexistent nobody\n");
        assertThat(run(c, ProcessSpec.of("sh", "-c", "id -u; id -g; pwd").withUser("1000:1001").withDir("/work/dir")).stdout())
                .isEqualTo("1000\n1001\n/work/dir\n");
        assertThat(run(c, ProcessSpec.of("sh", "-c", "echo $A $B").withEnv(List.of("B=spec"))).stdout()).isEqualTo("container spec\n");
        assertThatThrownBy(() -> c.run(ProcessSpec.of("no-such-binary"))).isInstanceOf(ExecutableNotFoundException.class);
        assertThatThrownBy(() -> c.run(ProcessSpec.of("/bin/../../etc/passwd"))).isInstanceOf(ExecutableNotFoundException.class);

        for (int i = 0; i < 50; i++) {
            assertThat(run(c, ProcessSpec.of("echo", "n" + i))).isEqualTo(new Result(0, "n" + i + "\n", ""));
        }
        destroy(c);
    }

    @Test
    void consumedOutputIsReleasedAndALaterAttachReplaysTheKeptTail() throws Exception {
        BackendContainer c = create("release");
        // 40 MiB of distinct lines, so a replay from the wrong offset cannot pass for the right one
        BackendProcess p = c.run(ProcessSpec.of("sh", "-c", "seq 1 5000000; seq 5000001 9000000").withId("big"));
        byte[] all;
        try (InputStream out = p.openStdout()) {
            all = out.readAllBytes();
        }
        assertThat(p.exit().get(30, TimeUnit.SECONDS)).isZero();
        assertThat(all.length).isGreaterThan(60 << 20);
        Path stdout = processDir(c, "big").resolve("stdout");
        long allocated = Long.parseLong(TestShell.check(List.of("stat", "-c", "%b", stdout.toString())).stdout().strip()) * 512;
        assertThat(allocated).as("bytes still stored after one reader consumed everything")
                .isLessThanOrEqualTo(MonitoredProcess.KEEP + MonitoredProcess.RELEASE_STEP + 4096);

        byte[] replay;
        try (InputStream again = c.process("big").orElseThrow().openStdout()) {
            replay = again.readAllBytes();
        }
        assertThat(replay.length).isBetween((int) MonitoredProcess.KEEP, (int) (MonitoredProcess.KEEP + MonitoredProcess.RELEASE_STEP + 4096));
        assertThat(java.util.Arrays.equals(replay, 0, replay.length, all, all.length - replay.length, all.length))
                .as("the replay is the output's tail").isTrue();

        // a reader that does not read holds the release back for everyone
        BackendProcess q = c.run(ProcessSpec.of("sh", "-c", "seq 1 5000000").withId("held"));
        try (InputStream slow = q.openStdout(); InputStream fast = q.openStdout()) {
            assertThat(fast.readAllBytes().length).isGreaterThan(30 << 20);
            assertThat(slow.read()).isEqualTo('1');
        }
        Path held = processDir(c, "held").resolve("stdout");
        assertThat(Long.parseLong(TestShell.check(List.of("stat", "-c", "%b", held.toString())).stdout().strip()) * 512)
                .as("nothing released while a reader was at the start").isGreaterThan(30L << 20);
        destroy(c);
    }

    @Test
    void ttyProcessesGetATerminalWithItsWindowAndMergedOutput() throws Exception {
        long ptys = ptyCount();
        BackendContainer c = create("tty");
        Optional<TtySpec> plain = Optional.of(TtySpec.DEFAULT);
        assertThat(run(c, ProcessSpec.of("stty", "size").withTty(plain))).isEqualTo(new Result(0, "24 80\r\n", ""));
        assertThat(run(c, ProcessSpec.of("stty", "size").withTty(Optional.of(TtySpec.of(100, 30)))).stdout()).isEqualTo("30 100\r\n");
        assertThat(run(c, ProcessSpec.of("sh", "-c", "echo out; echo err >&2").withTty(plain)))
                .isEqualTo(new Result(0, "out\r\nerr\r\n", ""));
        assertThat(run(c, ProcessSpec.of("sh", "-c", "exit 3").withTty(plain)).exit()).isEqualTo(3);

        // -echo first, so the typed lines do not come back; the marker says the shell is ready for the resize
        // runc relays the resize to the container's terminal asynchronously: the shell polls (bounded) for it
        BackendProcess resized = c.run(ProcessSpec.of("sh", "-c", "stty -echo; echo ready; read x; "
                        + "for i in $(seq 100); do s=$(stty size); [ \"$s\" = \"40 120\" ] && break; sleep 0.1; done; "
                        + "echo \"$s\"; read y; echo $y")
                .withTty(plain).withId("resize"));
        try (InputStream out = resized.openStdout()) {
            assertThat(new String(out.readNBytes("ready\r\n".length()), StandardCharsets.UTF_8)).isEqualTo("ready\r\n");
            resized.resize(TtySpec.of(120, 40));
            resized.stdin().write("go\n".getBytes(StandardCharsets.UTF_8));
            assertThat(new String(out.readNBytes("40 120\r\n".length()), StandardCharsets.UTF_8)).isEqualTo("40 120\r\n");
            resized.stdin().write("last\n".getBytes(StandardCharsets.UTF_8));
            assertThat(resized.exit().get(10, TimeUnit.SECONDS)).isZero();
            assertThat(readAll(out)).isEqualTo("last\r\n");
        }

        // the process hears of the resize itself: its WINCH trap reports the new size and ends it
        BackendProcess winch = c.run(ProcessSpec.of("sh", "-c", "trap 'stty size; exit 5' WINCH; echo ready; while :; do sleep 0.05; done")
                .withTty(plain).withId("winch"));
        try (InputStream out = winch.openStdout()) {
            assertThat(new String(out.readNBytes("ready\r\n".length()), StandardCharsets.UTF_8)).isEqualTo("ready\r\n");
            winch.resize(TtySpec.of(90, 33));
            assertThat(winch.exit().get(10, TimeUnit.SECONDS)).isEqualTo(5);
            assertThat(readAll(out)).isEqualTo("33 90\r\n");
        }

        BackendProcess cat = c.run(ProcessSpec.of("sh", "-c", "stty -echo; cat; echo done").withTty(plain).withId("eot"));
        cat.stdin().write("typed\n".getBytes(StandardCharsets.UTF_8));
        cat.stdin().close(); // EOT: cat sees end of file, the shell goes on
        assertThat(cat.exit().get(10, TimeUnit.SECONDS)).isZero();
        assertThat(readAll(cat.openStdout())).endsWith("typed\r\ndone\r\n");

        BackendProcess killed = c.run(ProcessSpec.of("sleep", "100").withTty(plain).withId("tty-kill"));
        killed.signal(Signal.KILL);
        assertThat(killed.exit().get(10, TimeUnit.SECONDS)).isEqualTo(137);

        for (int i = 0; i < 100; i++) {
            assertThat(run(c, ProcessSpec.of("echo", "line-" + i).withTty(plain))).isEqualTo(new Result(0, "line-" + i + "\r\n", ""));
        }
        destroy(c);
        assertThat(ptyCount()).isLessThanOrEqualTo(ptys); // every host pty master was closed
    }

    /**
     * What runc 1.1.5 can leave when a process exhausts a limit at once: the exec fails, yet the process runs. The
     * failed start's clean-up kills a process whose pid the runtime recorded, if it is in the container.
     */
    @Test
    void aFailedStartLeavesNoProcessRunning() throws Exception {
        BackendContainer c = create("stray");
        Path fake = Files.createTempDirectory(ROOT.depot(), "stray");
        Files.writeString(fake.resolve("p.json"), "{\"args\":[\"sleep\",\"100\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0},"
                + "\"env\":[\"PATH=/bin:/usr/bin\"]}");
        TestShell.check(List.of("runc", "--root", ROOT.runtimeRoot().toString(), "exec", "--detach", "--pid-file", fake.resolve("pid").toString(),
                "--process", fake.resolve("p.json").toString(), ROOT.idOf(c)));
        long pid = Long.parseLong(Files.readString(fake.resolve("pid")).strip());
        assertThat(ProcessHandle.of(pid)).isPresent();
        ((LinuxContainer) c).killStrayStart(fake);
        assertThat(dev.cloche.linux.sys.ProcFs.awaitGone(List.of(pid), Duration.ofSeconds(10))).isTrue();

        // a pid outside the container is never touched
        Process outside = new ProcessBuilder("sleep", "100").start();
        Files.writeString(fake.resolve("pid"), Long.toString(outside.pid()));
        ((LinuxContainer) c).killStrayStart(fake);
        assertThat(outside.waitFor(300, TimeUnit.MILLISECONDS)).isFalse();
        outside.destroyForcibly();
        Trees.deleteRecursively(fake);
        destroy(c);
    }

    /** A depot from before the process tmpfs kept process directories under the container's: they are still restored. */
    @Test
    void processDirectoriesOfTheEarlierLayoutAreRestored() throws Exception {
        BackendContainer c = create("legacy");
        BackendProcess done = c.run(ProcessSpec.of("sh", "-c", "echo from-before; exit 4").withId("old"));
        assertThat(done.exit().get(10, TimeUnit.SECONDS)).isEqualTo(4);
        Path dir = processDir(c, "old");
        assertThat(CrashedDaemon.monitored(done).awaitMonitorGone(Duration.ofSeconds(10))).isTrue();
        Path legacy = Path.of(c.info().containerPath()).resolve(LinuxContainer.LEGACY_PROCESSES);
        Files.createDirectories(legacy);
        TestShell.check(List.of("mv", dir.toString(), legacy.resolve(dir.getFileName()).toString()));
        try (ContainerBackend second = ROOT.open()) {
            BackendContainer r = second.restore().stream().filter(x -> x.handle().equals(c.handle())).findFirst()
                    .flatMap(RestoredContainer::container).orElseThrow();
            BackendProcess old = r.process("old").orElseThrow();
            assertThat(old.exit().get(1, TimeUnit.SECONDS)).isEqualTo(4);
            assertThat(readAll(old.openStdout())).isEqualTo("from-before\n");
            // new processes go to the tmpfs, numbered after the old ones
            assertThat(run(r, ProcessSpec.of("echo", "new"))).isEqualTo(new Result(0, "new\n", ""));
            assertThat(processDir(r, r.processIds().getLast()).getParent()).isEqualTo(((LinuxContainer) r).processDir());
            destroy(r);
        }
        assertThat(legacy).doesNotExist();
    }

    /**
     * The daemon's crash, as the backend sees it: a second backend on the same depot restores the container while
     * its processes run on under their monitors. Stdin, output, resize and exit status carry on; a process whose
     * monitor was SIGKILLed reports 255 and is killed, since nobody could ever observe its end.
     */
    @Test
    void processesOutliveTheirBackendAndAreRestored() throws Exception {
        BackendContainer c = create("outlive");
        BackendProcess done = c.run(ProcessSpec.of("sh", "-c", "echo early; exit 3").withId("done"));
        assertThat(done.exit().get(10, TimeUnit.SECONDS)).isEqualTo(3);
        BackendProcess cat = c.run(ProcessSpec.of("cat").withId("cat"));
        cat.stdin().write("before\n".getBytes(StandardCharsets.UTF_8));
        BackendProcess tty = c.run(ProcessSpec.of("sh", "-c", "stty -echo; echo ready; read x; stty size; echo got $x")
                .withTty(Optional.of(TtySpec.DEFAULT)).withId("tty"));
        try (InputStream out = tty.openStdout()) {
            assertThat(new String(out.readNBytes("ready\r\n".length()), StandardCharsets.UTF_8)).isEqualTo("ready\r\n");
        }
        c.run(ProcessSpec.of("sleep", "100").withId("doomed"));
        Path doomed = processDir(c, "doomed");
        long monitor = Long.parseLong(Files.readString(doomed.resolve("monitor.pid")).strip());
        long sleeper = Long.parseLong(Files.readString(doomed.resolve("pid")).strip());
        ProcessHandle.of(monitor).ifPresent(ProcessHandle::destroyForcibly);
        assertThat(dev.cloche.linux.sys.ProcFs.awaitGone(List.of(monitor), Duration.ofSeconds(10))).isTrue();

        // a crashed daemon's stdin writers close with it; in this JVM the first backend's must be let go explicitly
        CrashedDaemon.letGo(c);
        try (ContainerBackend second = ROOT.open()) {
            BackendContainer r = second.restore().stream().filter(x -> x.handle().equals(c.handle())).findFirst()
                    .flatMap(RestoredContainer::container).orElseThrow();
            assertThat(r.processIds()).containsExactly("done", "cat", "tty", "doomed");

            BackendProcess rdone = r.process("done").orElseThrow();
            assertThat(rdone.exit().get(10, TimeUnit.SECONDS)).isEqualTo(3);
            assertThat(readAll(rdone.openStdout())).isEqualTo("early\n");

            BackendProcess rcat = r.process("cat").orElseThrow();
            rcat.stdin().write("after\n".getBytes(StandardCharsets.UTF_8));
            rcat.stdin().close();
            assertThat(rcat.exit().get(10, TimeUnit.SECONDS)).isZero();
            assertThat(readAll(rcat.openStdout())).isEqualTo("before\nafter\n");

            BackendProcess rtty = r.process("tty").orElseThrow();
            rtty.resize(TtySpec.of(100, 30));
            Thread.sleep(200); // the monitor applies the resize asynchronously; the shell reads the size after "go"
            rtty.stdin().write("go\n".getBytes(StandardCharsets.UTF_8));
            assertThat(rtty.exit().get(10, TimeUnit.SECONDS)).isZero();
            assertThat(readAll(rtty.openStdout())).isEqualTo("ready\r\n30 100\r\ngot go\r\n");
            assertThat(readAll(rtty.openStderr())).isEmpty();

            assertThat(r.process("doomed").orElseThrow().exit().get(10, TimeUnit.SECONDS)).isEqualTo(MonitoredProcess.LOST_EXIT);
            assertThat(dev.cloche.linux.sys.ProcFs.awaitGone(List.of(sleeper), Duration.ofSeconds(10))).as("orphan killed").isTrue();
            destroy(r);
        }
    }

    /** The directory of the process with Garden id {@code id} (the id file the container writes beside the monitor's). */
    private static Path processDir(BackendContainer c, String id) throws IOException {
        try (var dirs = Files.list(((LinuxContainer) c).processDir())) {
            for (Path d : dirs.toList()) {
                if (Files.readString(d.resolve(MonitoredProcess.ID_FILE)).equals(id)) return d;
            }
        }
        throw new IllegalStateException("no process directory for " + id);
    }

    private static long ptyCount() throws IOException {
        try (var s = Files.list(Path.of("/dev/pts"))) {
            return s.count();
        }
    }
}
