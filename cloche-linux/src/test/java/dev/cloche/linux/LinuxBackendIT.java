package dev.cloche.linux;

import static dev.cloche.linux.Runs.readAll;
import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ConflictException;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.api.TtySpec;
import dev.cloche.linux.Runs.Result;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import dev.cloche.testkit.RootBackendExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Linux backend for real: root, runc, overlayfs, cgroup v1. */
class LinuxBackendIT {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it")
            .network("clbi", "10.253.4.0/24", "41000-41099")
            // long enough that a test releasing pids after the first refusal never races the deadline
            .setting("pidLimitRetry", "60s").build();

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

    private static List<String> mounts() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" ")[1]).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<String> runtimeContainers() {
        return TestShell.run(List.of("runc", "--root", ROOT.runtimeRoot().toString(), "list", "-q")).stdout().lines().toList();
    }

    @Test
    void unprivilegedContainerRunsTheInitWithGuardianUserNamespace() throws IOException {
        BackendContainer c = create("unpriv");
        assertThat(run(c, ProcessSpec.of("cat", "/proc/1/cmdline")).stdout()).isEqualTo("/tmp/garden-init\0");
        assertThat(run(c, ProcessSpec.of("hostname")).stdout().strip()).isEqualTo(c.handle());
        assertThat(run(c, ProcessSpec.of("cat", "/proc/self/uid_map")).stdout().strip().split("\\s+"))
                .containsExactly("0", "4294967294", "1", "1", "1", "4294967293");
        assertThat(run(c, ProcessSpec.of("id", "-u")).stdout().strip()).isEqualTo("0");
        assertThat(run(c, ProcessSpec.of("touch", "/made-by-root")).exit()).isZero();
        Path upper = Path.of(c.info().containerPath(), "upper", "made-by-root");
        assertThat(Integer.toUnsignedLong((Integer) Files.getAttribute(upper, "unix:uid"))).isEqualTo(4294967294L);
        destroy(c);
    }

    @Test
    void privilegedContainerHasNoUserNamespace() {
        BackendContainer c = create(ContainerSpec.withHandle(handle("priv")).withPrivileged(true));
        assertThat(run(c, ProcessSpec.of("cat", "/proc/self/uid_map")).stdout().strip().split("\\s+"))
                .containsExactly("0", "0", "4294967295");
        assertThat(run(c, ProcessSpec.of("cat", "/proc/1/cmdline")).stdout()).isEqualTo("/tmp/garden-init\0");
        destroy(c);
    }

    @Test
    void longHandleKeepsItsLast49CharactersAsHostname() {
        String h = handle("long-handle-" + "x".repeat(50));
        BackendContainer c = create(ContainerSpec.withHandle(h));
        assertThat(run(c, ProcessSpec.of("hostname")).stdout().strip()).isEqualTo(h.substring(h.length() - 49));
        destroy(c);
    }

    @Test
    void limitsReachTheCgroupsAndAreEchoed() throws IOException {
        Limits limits = Limits.NONE.withMemory(new MemoryLimits(64L << 20)).withCpu(new CpuLimits(512, 0)).withPid(new PidLimits(100));
        BackendContainer c = create(ContainerSpec.withHandle(handle("limits")).withLimits(limits));
        String id = ROOT.idOf(c);
        assertThat(Files.readString(ROOT.cgroup("memory", id).resolve("memory.limit_in_bytes")).strip()).isEqualTo(Long.toString(64L << 20));
        assertThat(Files.readString(ROOT.cgroup("cpu", id).resolve("cpu.shares")).strip()).isEqualTo("512");
        assertThat(Files.readString(ROOT.cgroup("pids", id).resolve("pids.max")).strip()).isEqualTo("100");
        assertThat(c.limits()).isEqualTo(limits);
        assertThat(c.metrics().pid().max()).isEqualTo(100);
        assertThat(c.metrics().memory().totalUsageTowardLimit()).isPositive();
        destroy(c);
    }

    /** Sleeps that outlive their shell hold every pid but one: too few for a runtime to start a process. */
    private static long fillPids(BackendContainer c) {
        Result r = run(c, ProcessSpec.of("sh", "-c", "for i in $(seq 20); do sleep 1000 </dev/null >/dev/null 2>&1 & done"));
        assertThat(r.stderr()).contains("can't fork");
        return pidLimitHits(c);
    }

    private static Path pidsGroup(BackendContainer c) {
        return ROOT.cgroup("pids", ROOT.idOf(c));
    }

    /** The kernel's count of forks the container's pid limit refused. */
    private static long pidLimitHits(BackendContainer c) {
        try {
            return Files.readAllLines(pidsGroup(c).resolve("pids.events")).stream().filter(l -> l.startsWith("max "))
                    .mapToLong(l -> Long.parseLong(l.substring(4).strip())).findFirst().orElseThrow();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void killSleeps(BackendContainer c) throws IOException {
        for (String pid : Files.readAllLines(pidsGroup(c).resolve("cgroup.procs"))) {
            Path comm = Path.of("/proc", pid.strip(), "comm");
            if (Files.exists(comm) && Files.readString(comm).strip().equals("sleep")) TestShell.run("kill", "-9", pid.strip());
        }
    }

    /*
     * runc moves a new process into the container's cgroup only after forking it, and the kernel charges a move
     * beyond the pid limit: a start races its own Go threads against that move, so it can slip past a full limit.
     * Each test below therefore fills the pids again, a bounded number of rounds, until a start has met the limit;
     * every round must end as the test says, never with the runtime's own words.
     */
    private static final int ROUNDS = 5;

    @Test
    void aStartThatMeetsAFullPidLimitWaitsUntilPidsComeBack() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(handle("pids")).withLimits(Limits.NONE.withPid(new PidLimits(10))));
        boolean metTheLimit = false;
        for (int round = 0; round < ROUNDS && !metTheLimit; round++) {
            long refused = fillPids(c);
            java.util.concurrent.CompletableFuture<Result> echo = java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> run(c, ProcessSpec.of("echo", "still usable")));
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
            while (!echo.isDone() && pidLimitHits(c) == refused && System.nanoTime() < deadline) Thread.sleep(5);
            metTheLimit = pidLimitHits(c) > refused;
            killSleeps(c);
            assertThat(echo.get(60, java.util.concurrent.TimeUnit.SECONDS).stdout()).isEqualTo("still usable\n");
        }
        assertThat(metTheLimit).as("a start met the full pid limit in %d rounds", ROUNDS).isTrue();
        destroy(c);
    }

    @Test
    void aStartRefusedByAFullPidLimitIsResourceExhaustedAndTheContainerStaysUsable() throws Exception {
        ContainerBackend noRetry = ROOT.open(Map.of("pidLimitRetry", "0", "networkPool", "none",
                "processRoot", ROOT.depot().resolve("strict").toString(), "processTmpfs", "none"));
        try {
            BackendContainer c = noRetry.create(new BackendSpec(ContainerSpec.withHandle(handle("pids-strict"))
                    .withLimits(Limits.NONE.withPid(new PidLimits(10)))));
            boolean refused = false;
            for (int round = 0; round < ROUNDS && !refused; round++) {
                fillPids(c);
                try {
                    assertThat(run(c, ProcessSpec.of("echo", "slipped past")).stdout()).isEqualTo("slipped past\n");
                } catch (ResourceExhaustedException e) {
                    assertThat(e).hasMessageMatching("pid limit of the container reached \\(\\d+ of 10\\): cannot start"
                            + " process run-\\d+ in pids-strict-.*").hasMessageNotContaining("init-p");
                    refused = true;
                }
                killSleeps(c);
                assertThat(run(c, ProcessSpec.of("echo", "still usable")).stdout()).isEqualTo("still usable\n");
            }
            assertThat(refused).as("a start was refused in %d rounds", ROUNDS).isTrue();
            destroy(c);
        } finally {
            noRetry.close();
        }
    }

    @Test
    void theKernelEnforcesMemoryAndDiskLimits() throws Exception {
        BackendContainer mem = create(ContainerSpec.withHandle(handle("oom")).withLimits(Limits.NONE.withMemory(new MemoryLimits(64L << 20))));
        assertThat(mem.info().events()).isEmpty();
        // the pause lets runc finish its start handshake first: an OOM kill during it is reported by runc as a
        // failed start ("read init-p: connection reset by peer"), not as the process's death
        Result oom = run(mem, ProcessSpec.of("sh", "-c", "sleep 0.3; exec dd if=/dev/zero of=/dev/shm/fill bs=1M count=100"));
        assertThat(oom.exit()).as("dd killed: %s", oom).isEqualTo(137);
        assertThat(mem.info().events()).containsExactly("oom");
        destroy(mem);

        DiskLimits tenMiB = new DiskLimits(0, 0, 0, 10L << 20, DiskLimits.DiskLimitScope.EXCLUSIVE);
        BackendContainer disk = create(ContainerSpec.withHandle(handle("disk")).withLimits(Limits.NONE.withDisk(tenMiB)));
        Result full = run(disk, ProcessSpec.of("dd", "if=/dev/zero", "of=/root/big", "bs=1M", "count=20"));
        assertThat(full.exit()).isNotZero();
        assertThat(full.stderr()).contains("No space left on device");
        assertThat(disk.metrics().disk().exclusiveBytesUsed()).isBetween(8L << 20, 11L << 20);
        assertThat(run(disk, ProcessSpec.of("sh", "-c", "rm /root/big && echo small > /root/small && cat /root/small")).stdout())
                .isEqualTo("small\n");
        assertThat(disk.limits().disk()).isEqualTo(tenMiB);
        // inodes are enforced with the granularity of ext4's inode tables (16 per block group): 50 allows at most 64
        DiskLimits fewInodes = new DiskLimits(0, 50, 0, 10L << 20, DiskLimits.DiskLimitScope.EXCLUSIVE);
        BackendContainer inodes = create(ContainerSpec.withHandle(handle("inodes")).withLimits(Limits.NONE.withDisk(fewInodes)));
        Result touch = run(inodes, ProcessSpec.of("sh", "-c", "mkdir /many && cd /many && for i in $(seq 100); do touch f$i || exit 9; done"));
        assertThat(touch.exit()).isEqualTo(9);
        assertThat(touch.stderr()).contains("No space left on device");
        destroy(inodes);
        destroy(disk);
    }

    @Test
    void aStartKilledByTheMemoryLimitIsResourceExhaustedNamingIt() {
        BackendContainer mem = create(ContainerSpec.withHandle(handle("shm")).withLimits(Limits.NONE.withMemory(new MemoryLimits(64L << 20))));
        // /dev/shm's pages count toward the limit and cannot be reclaimed without swap. dd writes in 4 KiB blocks
        // until the OOM killer ends it, so what its death frees is far less than a runtime start needs
        Result fill = run(mem, ProcessSpec.of("dd", "if=/dev/zero", "of=/dev/shm/fill", "bs=4k"));
        assertThat(fill.exit()).as("dd killed: %s", fill).isEqualTo(137);
        assertThatThrownBy(() -> run(mem, ProcessSpec.of("rm", "-f", "/dev/shm/fill")))
                .isInstanceOf(ResourceExhaustedException.class)
                .hasMessageStartingWith("memory limit of the container reached (64 MiB)").hasMessageNotContaining("init-p");
        mem.updateLimits(mem.limits().withMemory(new MemoryLimits(256L << 20)));
        assertThat(run(mem, ProcessSpec.of("rm", "/dev/shm/fill")).exit()).isZero();
        destroy(mem);
    }

    @Test
    void metricsOfABusyContainerComeFromItsCgroupsAndDisk() throws Exception {
        BackendContainer c = create("metrics");
        run(c, ProcessSpec.of("sh", "-c", "dd if=/dev/zero of=/root/f bs=1M count=3; i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done"));
        BackendProcess idle = c.run(ProcessSpec.of("sleep", "30").withId("idle"));
        ContainerMetrics m = c.metrics();
        assertThat(m.memory().totalUsageTowardLimit()).isPositive();
        assertThat(m.cpu().usage()).isPositive();
        assertThat(m.cpu().user() + m.cpu().system()).isPositive();
        assertThat(m.pid().current()).isGreaterThanOrEqualTo(2); // the init and sleep
        assertThat(m.disk().exclusiveBytesUsed()).isGreaterThanOrEqualTo(3L << 20);
        assertThat(m.disk().totalBytesUsed()).isGreaterThan(m.disk().exclusiveBytesUsed()); // the image counts in "total"
        assertThat(m.disk().exclusiveInodesUsed()).isPositive();
        assertThat(m.age()).isPositive();
        idle.signal(Signal.KILL);
        destroy(c);
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
        assertThat(((MonitoredProcess) done).awaitMonitorGone(Duration.ofSeconds(10))).isTrue();
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

    @Test
    void streamsTarInAndOutAsTheUser() throws IOException {
        BackendContainer c = create("stream");
        assertThat(run(c, ProcessSpec.of("sh", "-c", "mkdir -p /src/d && echo content > /src/d/f")).exit()).isZero();
        byte[] tar;
        try (InputStream in = c.streamOut(new StreamOutSpec("/src/d", ""))) {
            tar = in.readAllBytes();
        }
        c.streamIn(new StreamInSpec("dest", "", new java.io.ByteArrayInputStream(tar)));
        assertThat(run(c, ProcessSpec.of("cat", "/root/dest/d/f")).stdout()).isEqualTo("content\n");
        try (InputStream in = c.streamOut(new StreamOutSpec("/src/d/", ""))) {
            tar = in.readAllBytes();
        }
        assertThat(new String(tar, StandardCharsets.ISO_8859_1)).contains("./f");
        assertThatThrownBy(() -> c.streamOut(new StreamOutSpec("/does/not/exist", ""))).hasMessageContaining("error streaming out");
        assertThatThrownBy(() -> c.streamIn(new StreamInSpec("/x", "", new java.io.ByteArrayInputStream("garbage".repeat(100).getBytes()))))
                .hasMessageContaining("error streaming in");
        destroy(c);
    }

    @Test
    void stopKillsEverythingAndRejectsNewProcesses() throws Exception {
        BackendContainer c = create("stop");
        BackendProcess p = c.run(ProcessSpec.of("sh", "-c", "trap 'exit 42' TERM; echo trapped; while true; do sleep 0.05; done").withId("trap"));
        try (InputStream out = p.openStdout()) {
            assertThat(new String(out.readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("trapped\n");
        }
        c.stop(false);
        assertThat(p.exit().get(10, TimeUnit.SECONDS)).isEqualTo(42);
        assertThat(c.info().state()).isEqualTo("stopped");
        assertThatThrownBy(() -> c.run(ProcessSpec.of("true"))).isInstanceOf(ConflictException.class);
        destroy(c);
    }

    @Test
    void destroyLeavesNothingAndIsIdempotent() throws Exception {
        BackendContainer c = create("destroy");
        BackendProcess sleeper = c.run(ProcessSpec.of("sh", "-c", "echo ready; exec sleep 100").withId("sleeper"));
        try (InputStream out = sleeper.openStdout()) {
            assertThat(new String(out.readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("ready\n");
        }
        String id = ROOT.idOf(c);
        Path dir = Path.of(c.info().containerPath());
        destroy(c);
        c.destroy();
        assertThat(sleeper.exit().get(10, TimeUnit.SECONDS)).isEqualTo(137);
        assertThatThrownBy(c::info).isInstanceOf(dev.cloche.api.ContainerNotFoundException.class);
        assertThat(runtimeContainers()).doesNotContain(id);
        assertThat(mounts()).noneMatch(m -> m.startsWith(dir.toString()));
        assertThat(ROOT.cgroupDirs(id)).isEmpty();
        assertThat(dir).doesNotExist();
    }

    @Test
    void bindMountsAreReadOnlyOrReadWriteAsAsked() throws IOException {
        // world-writable so the user-namespaced root (an unmapped host uid) may write through the RW mount
        Path ro = Files.createTempDirectory(ROOT.depot(), "bind-ro");
        Path rw = Files.createTempDirectory(ROOT.depot(), "bind-rw");
        for (Path d : List.of(ro, rw)) {
            Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
        }
        Files.writeString(ro.resolve("hello"), "from the host\n");
        BackendContainer c = create(ContainerSpec.withHandle(handle("bind")).withBindMounts(List.of(
                new dev.cloche.api.BindMount(ro.toString(), "/mnt/ro", dev.cloche.api.BindMount.Mode.RO, dev.cloche.api.BindMount.Origin.HOST),
                new dev.cloche.api.BindMount(rw.toString(), "/mnt/rw", dev.cloche.api.BindMount.Mode.RW, dev.cloche.api.BindMount.Origin.HOST))));
        try {
            assertThat(run(c, ProcessSpec.of("cat", "/mnt/ro/hello")).stdout()).isEqualTo("from the host\n");
            Result denied = run(c, ProcessSpec.of("sh", "-c", "echo x > /mnt/ro/new"));
            assertThat(denied.exit()).isNotZero();
            assertThat(denied.stderr()).contains("Read-only file system");
            assertThat(ro.resolve("new")).doesNotExist();
            assertThat(run(c, ProcessSpec.of("sh", "-c", "echo written > /mnt/rw/out")).exit()).isZero();
            assertThat(Files.readString(rw.resolve("out"))).isEqualTo("written\n");
        } finally {
            destroy(c);
        }
        assertThat(Files.readString(ro.resolve("hello"))).as("destroy never touches bind-mounted host data").isEqualTo("from the host\n");
    }

    @Test
    void failedCreateRollsBackAndBadImageIsRejected() {
        assertThatThrownBy(() -> create(ContainerSpec.withHandle(handle("img")).withImage(ImageRef.of("/no/such/dir"))))
                .isInstanceOf(InvalidRequestException.class);
        String h = handle("badmount");
        assertThatThrownBy(() -> create(ContainerSpec.withHandle(h).withBindMounts(List.of(
                new dev.cloche.api.BindMount("/no/such/source", "/mnt", dev.cloche.api.BindMount.Mode.RO, dev.cloche.api.BindMount.Origin.HOST)))));
        String id = LinuxBackend.runtimeId(h);
        assertThat(ROOT.depot().resolve("containers").resolve(id)).doesNotExist();
        assertThat(ROOT.cgroupDirs(id)).isEmpty();
        assertThat(runtimeContainers()).doesNotContain(id);
    }

    @Test
    void restoreFindsRunningContainersAndCapacityIsReported() {
        BackendContainer c = create("restore");
        try (ContainerBackend second = ROOT.open()) {
            List<RestoredContainer> found = second.restore();
            assertThat(found).anySatisfy(r -> {
                assertThat(r.handle()).isEqualTo(c.handle());
                assertThat(r.container()).isPresent();
                assertThat(run(r.container().get(), ProcessSpec.of("echo", "again")).stdout()).isEqualTo("again\n");
            });
            assertThat(second.capacity().memoryInBytes()).isPositive();
            assertThat(second.capacity().maxContainers()).isEqualTo(1024);
        }
        destroy(c);
    }

    @Test
    void timingsOfCreateRunDestroy() {
        int n = 5;
        long[] create = new long[n], exec = new long[n], destroy = new long[n];
        for (int i = 0; i < n; i++) {
            long t0 = System.nanoTime();
            BackendContainer c = create("timing");
            long t1 = System.nanoTime();
            assertThat(run(c, ProcessSpec.of("echo", "x")).exit()).isZero();
            long t2 = System.nanoTime();
            destroy(c);
            long t3 = System.nanoTime();
            create[i] = t1 - t0;
            exec[i] = t2 - t1;
            destroy[i] = t3 - t2;
        }
        System.out.printf("TIMING runc (ms, median of %d): create %.1f, run echo %.1f, destroy %.1f%n", n,
                median(create), median(exec), median(destroy));
    }

    private static double median(long[] v) {
        long[] s = v.clone();
        java.util.Arrays.sort(s);
        return s[s.length / 2] / 1e6;
    }

    @SuppressWarnings("unused")
    private static String drain(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toString(StandardCharsets.UTF_8);
    }
}
