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
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.api.TtySpec;
import dev.cloche.linux.Runs.Result;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.CommandRunners;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.RestoredContainer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The Linux backend for real: root, runc, overlayfs, cgroup v1. */
class LinuxBackendIT {
    private static final String PARENT = "cloche-it";
    private static final Path CGROUP = Path.of("/sys/fs/cgroup");
    private static final CommandRunner SH = CommandRunners.processBuilder(Duration.ofSeconds(120));
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final List<BackendContainer> CREATED = Collections.synchronizedList(new ArrayList<>());
    private static Path depot;
    private static Path runtimeRoot;
    private static Map<String, String> settings;
    private static LinuxBackend backend;

    @BeforeAll
    static void setUp() throws IOException {
        Path repo = Path.of("").toAbsolutePath();
        while (!Files.exists(repo.resolve("scripts/make-rootfs.sh"))) repo = repo.getParent();
        depot = Files.createTempDirectory("cloche-it-depot");
        // the user namespace's root must be able to reach the bundle and rootfs
        Files.setPosixFilePermissions(depot, PosixFilePermissions.fromString("rwxr-xr-x"));
        runtimeRoot = depot.resolve("runtime");
        SH.check(List.of("sh", repo.resolve("scripts/make-rootfs.sh").toString(), depot.resolve("rootfs").toString()));
        SH.check(List.of("sh", repo.resolve("scripts/build-native.sh").toString(), depot.resolve("bin").toString()));
        settings = Map.of("depot", depot.toString(), "runtimeRoot", runtimeRoot.toString(), "cgroupParent", PARENT,
                "networkPool", "10.253.4.0/24", "networkPrefix", "clbi", "portPool", "41000-41099");
        backend = open();
    }

    private static LinuxBackend open() {
        return new LinuxBackend(Settings.from(settings), SH, CGROUP);
    }

    @AfterAll
    static void tearDown() {
        List<Throwable> failures = new ArrayList<>();
        for (BackendContainer c : List.copyOf(CREATED)) {
            try {
                c.destroy();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (backend != null) backend.close();
        // belt and braces for anything a failed test left: runtime state, overlay mounts, cgroups
        if (runtimeRoot != null) {
            for (String line : SH.run(List.of("runc", "--root", runtimeRoot.toString(), "list", "-q")).stdout().lines().toList()) {
                SH.run(List.of("runc", "--root", runtimeRoot.toString(), "kill", line.strip(), "KILL"));
                SH.run(List.of("runc", "--root", runtimeRoot.toString(), "delete", "--force", line.strip()));
            }
        }
        if (depot != null) {
            for (String m : mounts()) {
                if (m.startsWith(depot.toString())) SH.run(List.of("umount", "-l", m));
            }
            SH.run(List.of("sh", "-c", "for d in /sys/fs/cgroup/*/" + PARENT + "; do [ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir {} \\; ; done; true"));
            Trees.deleteRecursively(depot);
        }
        assertThat(failures).isEmpty();
    }

    private static List<String> mounts() {
        try {
            return Files.readAllLines(Path.of("/proc/self/mounts")).stream().map(l -> l.split(" ")[1]).toList();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static BackendContainer create(ContainerSpec spec) {
        BackendContainer c = backend.create(new BackendSpec(spec));
        CREATED.add(c);
        return c;
    }

    private static String handle(String prefix) {
        return prefix + "-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
    }

    private static BackendContainer create(String prefix) {
        return create(ContainerSpec.withHandle(handle(prefix)));
    }

    private static void destroy(BackendContainer c) {
        c.destroy();
        CREATED.remove(c);
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
        String id = LinuxBackend.runtimeId(c.handle());
        assertThat(Files.readString(CGROUP.resolve("memory/" + PARENT + "/" + id + "/memory.limit_in_bytes")).strip()).isEqualTo(Long.toString(64L << 20));
        assertThat(Files.readString(CGROUP.resolve("cpu/" + PARENT + "/" + id + "/cpu.shares")).strip()).isEqualTo("512");
        assertThat(Files.readString(CGROUP.resolve("pids/" + PARENT + "/" + id + "/pids.max")).strip()).isEqualTo("100");
        assertThat(c.limits()).isEqualTo(limits);
        assertThat(c.metrics().pid().max()).isEqualTo(100);
        assertThat(c.metrics().memory().totalUsageTowardLimit()).isPositive();
        destroy(c);
    }

    @Test
    void theKernelEnforcesMemoryPidAndDiskLimits() throws Exception {
        BackendContainer mem = create(ContainerSpec.withHandle(handle("oom")).withLimits(Limits.NONE.withMemory(new MemoryLimits(64L << 20))));
        assertThat(mem.info().events()).isEmpty();
        // the pause lets runc finish its start handshake first: an OOM kill during it is reported by runc as a
        // failed start ("read init-p: connection reset by peer"), not as the process's death
        Result oom = run(mem, ProcessSpec.of("sh", "-c", "sleep 0.3; exec dd if=/dev/zero of=/dev/shm/fill bs=1M count=100"));
        assertThat(oom.exit()).as("dd killed: %s", oom).isEqualTo(137);
        assertThat(mem.info().events()).containsExactly("oom");
        destroy(mem);

        BackendContainer pids = create(ContainerSpec.withHandle(handle("pids")).withLimits(Limits.NONE.withPid(new PidLimits(10))));
        // as above: exhausting the pids during runc's handshake can fail the start itself (docs/process-monitor.md §7)
        Result forks = run(pids, ProcessSpec.of("sh", "-c", "sleep 0.3; for i in $(seq 20); do sleep 2 & done; wait"));
        assertThat(forks.stderr()).contains("can't fork");
        // sh gives up at the first fork that fails, leaving the sleeps it started to the container's init: until they
        // end (2 s after they started, all before sh ended) no pid may be free for the runtime's start of the next
        // process (with Debian's busybox-static as the rootfs's busybox the next start happened to fit; with the
        // rootfs's own build it never does).
        Thread.sleep(2_500);
        assertThat(run(pids, ProcessSpec.of("echo", "still usable")).stdout()).isEqualTo("still usable\n");
        destroy(pids);

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
        long allocated = Long.parseLong(SH.check(List.of("stat", "-c", "%b", stdout.toString())).stdout().strip()) * 512;
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
        assertThat(Long.parseLong(SH.check(List.of("stat", "-c", "%b", held.toString())).stdout().strip()) * 512)
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
        Path fake = Files.createTempDirectory(depot, "stray");
        Files.writeString(fake.resolve("p.json"), "{\"args\":[\"sleep\",\"100\"],\"cwd\":\"/\",\"user\":{\"uid\":0,\"gid\":0},"
                + "\"env\":[\"PATH=/bin:/usr/bin\"]}");
        SH.check(List.of("runc", "--root", runtimeRoot.toString(), "exec", "--detach", "--pid-file", fake.resolve("pid").toString(),
                "--process", fake.resolve("p.json").toString(), LinuxBackend.runtimeId(c.handle())));
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
        Path legacy = depot.resolve("containers").resolve(LinuxBackend.runtimeId(c.handle())).resolve(LinuxContainer.LEGACY_PROCESSES);
        Files.createDirectories(legacy);
        SH.check(List.of("mv", dir.toString(), legacy.resolve(dir.getFileName()).toString()));
        try (LinuxBackend second = open()) {
            BackendContainer r = second.restore().stream().filter(x -> x.handle().equals(c.handle())).findFirst()
                    .flatMap(RestoredContainer::container).orElseThrow();
            CREATED.remove(c);
            CREATED.add(r);
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

        // a crashed daemon's stdin writer closes with it; in this JVM the first backend's must be let go explicitly
        ((MonitoredProcess) cat).close();
        try (LinuxBackend second = open()) {
            BackendContainer r = second.restore().stream().filter(x -> x.handle().equals(c.handle())).findFirst()
                    .flatMap(RestoredContainer::container).orElseThrow();
            CREATED.remove(c);
            CREATED.add(r);
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
        String id = LinuxBackend.runtimeId(c.handle());
        Path dir = Path.of(c.info().containerPath());
        destroy(c);
        c.destroy();
        assertThat(sleeper.exit().get(10, TimeUnit.SECONDS)).isEqualTo(137);
        assertThatThrownBy(c::info).isInstanceOf(dev.cloche.api.ContainerNotFoundException.class);
        assertThat(SH.run(List.of("runc", "--root", runtimeRoot.toString(), "list", "-q")).stdout().lines()).doesNotContain(id);
        assertThat(mounts()).noneMatch(m -> m.startsWith(dir.toString()));
        assertThat(CgroupDirs.of(PARENT + "/" + id)).isEmpty();
        assertThat(dir).doesNotExist();
    }

    @Test
    void bindMountsAreReadOnlyOrReadWriteAsAsked() throws IOException {
        // world-writable so the user-namespaced root (an unmapped host uid) may write through the RW mount
        Path ro = Files.createTempDirectory(depot, "bind-ro");
        Path rw = Files.createTempDirectory(depot, "bind-rw");
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
        assertThat(depot.resolve("containers").resolve(id)).doesNotExist();
        assertThat(CgroupDirs.of(PARENT + "/" + id)).isEmpty();
        assertThat(SH.run(List.of("runc", "--root", runtimeRoot.toString(), "list", "-q")).stdout().lines()).doesNotContain(id);
    }

    @Test
    void restoreFindsRunningContainersAndCapacityIsReported() {
        BackendContainer c = create("restore");
        try (LinuxBackend second = open()) {
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

    /** cgroup dirs of a group in every hierarchy. */
    static final class CgroupDirs {
        static List<Path> of(String group) {
            try (var s = Files.list(CGROUP)) {
                return s.filter(h -> !Files.isSymbolicLink(h)).map(h -> h.resolve(group)).filter(Files::isDirectory).toList();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    @SuppressWarnings("unused")
    private static String drain(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        in.transferTo(b);
        return b.toString(StandardCharsets.UTF_8);
    }
}
