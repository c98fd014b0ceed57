package dev.cloche.linux;

import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.api.Signal;
import dev.cloche.linux.Runs.Result;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.testkit.RootBackendExtension;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Limits of the Linux backend for real: the values in the cgroups, the kernel enforcing memory, pids, disk and inodes,
 * starts that meet a full limit, metrics read from the cgroups and the disk.
 */
class LinuxBackendLimitsIT {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-limits")
            .network("clli", "10.253.36.0/24", "41600-41699")
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
}
