package dev.cloche.linux;

import static dev.cloche.linux.Runs.readAll;
import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.BindMount;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.ResourceLimits;
import dev.cloche.linux.Probe.MountInfo;
import dev.cloche.linux.Runs.Result;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.testkit.RootBackendExtension;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Guardian's security defaults as the kernel applies them, read from inside real containers (docs/security.md): the
 * seccomp filter, the five capability sets of each kind of process, /dev, the container's cgroups, masked and
 * read-only paths, rlimits. A subclass per runtime (runc, crun), each with its own root fixture.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class SecurityDefaults {
    /** Guardian's unprivilegedMaxCaps as a mask (0xa80425fb, the same as Docker's default set). */
    static final long UNPRIVILEGED = 0xa80425fbL;
    /** Guardian's privilegedMaxCaps: capabilities 0 (CAP_CHOWN) to 37 (CAP_AUDIT_READ). */
    static final long PRIVILEGED = (1L << 38) - 1;
    /** Guardian's nonRootMaxCaps: the unprivileged set and CAP_SYS_ADMIN (21). */
    static final long NON_ROOT_MAX = UNPRIVILEGED | 1L << 21;
    static final String NON_ROOT = "1000:1000";

    private BindMount probe;

    abstract RootBackendExtension root();

    @BeforeAll
    void installProbe() {
        probe = Probe.install(root().depot());
    }

    BackendContainer create(String prefix, boolean privileged) {
        return create(ContainerSpec.withHandle(root().handle(prefix)).withPrivileged(privileged));
    }

    BackendContainer create(ContainerSpec spec) {
        return root().create(spec.withBindMounts(List.of(probe)));
    }

    static String out(BackendContainer c, ProcessSpec spec) {
        Result r = run(c, spec);
        assertThat(r.exit()).as("%s: %s", spec, r.stderr()).isZero();
        return r.stdout();
    }

    private static Map<String, Long> caps(BackendContainer c, String user, String pid) {
        return Probe.capabilities(out(c, ProcessSpec.of("cat", "/proc/" + pid + "/status").withUser(user)));
    }

    private static Map<String, Long> sets(long inh, long prm, long eff, long bnd, long amb) {
        return Map.of("CapInh", inh, "CapPrm", prm, "CapEff", eff, "CapBnd", bnd, "CapAmb", amb);
    }

    @Test
    void unprivilegedContainersRunUnderGuardiansSeccompAllowList() {
        BackendContainer c = create("seccomp", false);
        for (String user : List.of("root", NON_ROOT)) {
            String status = out(c, ProcessSpec.of("cat", "/proc/self/status").withUser(user));
            assertThat(Probe.field(status, "Seccomp")).as("filter mode for %s", user).isEqualTo("2");
        }
        assertThat(Probe.field(out(c, ProcessSpec.of("cat", "/proc/1/status")), "Seccomp")).as("the init too").isEqualTo("2");
        // allowed: plain calls and the argument-checked ones in their allowed form; blocked: EPERM (1), clone3 ENOSYS (38)
        assertThat(out(c, Probe.spec("syscall", "getpid", "chroot", "clone-fork", "personality-linux",
                "keyctl", "clone-newuser", "personality-no-randomize", "clone3", "unshare-user")).lines()).containsExactly(
                "getpid ok", "chroot ok", "clone-fork ok", "personality-linux ok",
                "keyctl errno=1", "clone-newuser errno=1", "personality-no-randomize errno=1", "clone3 errno=38",
                "unshare-user errno=1");
        Result unshare = run(c, ProcessSpec.of("unshare", "-U", "true").withUser(NON_ROOT));
        assertThat(unshare.exit()).isNotZero();
        assertThat(unshare.stderr()).contains("Operation not permitted");
    }

    @Test
    void privilegedContainersHaveNoSeccompFilterAsInGuardian() {
        BackendContainer c = create("seccomp-priv", true);
        assertThat(Probe.field(out(c, ProcessSpec.of("cat", "/proc/self/status")), "Seccomp")).isEqualTo("0");
        // the same calls the unprivileged filter refuses go through: the refusals above are the filter's (unshare
        // last: it moves the probe into a new user namespace where it has no mapped id)
        assertThat(out(c, Probe.spec("syscall", "keyctl", "clone-newuser", "personality-no-randomize", "clone3",
                "unshare-user")).lines()).containsExactly("keyctl ok", "clone-newuser ok", "personality-no-randomize ok",
                "clone3 ok", "unshare-user ok");
    }

    @Test
    void capabilitiesAreGuardiansForEveryKindOfProcess() {
        BackendContainer c = create("caps", false);
        assertThat(caps(c, "root", "1")).as("init").isEqualTo(sets(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED, 0));
        assertThat(caps(c, "root", "self")).as("root").isEqualTo(sets(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED, 0));
        assertThat(caps(c, NON_ROOT, "self")).as("non-root: nothing permitted or effective")
                .isEqualTo(sets(UNPRIVILEGED, 0, 0, UNPRIVILEGED, 0));

        long all = PRIVILEGED & Probe.hostBoundingSet(); // this host cannot grant CAP_SYS_RESOURCE
        BackendContainer p = create("caps-priv", true);
        assertThat(caps(p, "root", "1")).as("privileged init").isEqualTo(sets(all, all, all, all, 0));
        assertThat(caps(p, "root", "self")).as("privileged root").isEqualTo(sets(all, all, all, all, 0));
        assertThat(caps(p, NON_ROOT, "self")).as("privileged non-root: Guardian's non-root maximum")
                .isEqualTo(sets(NON_ROOT_MAX & all, 0, 0, NON_ROOT_MAX & all, 0));
    }

    @Test
    void standardStreamsWorkThroughDevForEveryUser() throws Exception {
        for (boolean privileged : List.of(false, true)) {
            BackendContainer c = create("stdio", privileged);
            for (String user : List.of("root", NON_ROOT, "nobody")) {
                Result r = run(c, ProcessSpec.of("sh", "-c",
                        "echo out > /dev/stdout && echo err > /dev/stderr && ls /dev/fd/ > /dev/null && echo fd").withUser(user));
                assertThat(r).as("%s (privileged %s)", user, privileged).isEqualTo(new Result(0, "out\nfd\n", "err\n"));
                // reopened only after the input is closed: a FIFO as fd 0 would block that open() for good
                BackendProcess cat = c.run(ProcessSpec.of("sh", "-c", "sleep 0.5; cat /dev/stdin").withUser(user)
                        .withId("stdin-" + user));
                cat.stdin().write("piped\n".getBytes(StandardCharsets.UTF_8));
                cat.stdin().close();
                assertThat(cat.exit().get(30, TimeUnit.SECONDS)).as("cat /dev/stdin as %s", user).isZero();
                assertThat(readAll(cat.openStdout())).isEqualTo("piped\n");
            }
        }
    }

    @Test
    void devHasContainerOwnedPtysGuardiansShmAndFuseOnlyWhenPrivileged() {
        BackendContainer c = create("dev", false);
        assertThat(out(c, ProcessSpec.of("stat", "-L", "-c", "%u:%g %n", "/dev/ptmx", "/dev/pts", "/dev/pts/ptmx")))
                .as("owned by the container's root, not an unmapped host id")
                .isEqualTo("0:0 /dev/ptmx\n0:0 /dev/pts\n0:0 /dev/pts/ptmx\n");
        List<MountInfo> mounts = MountInfo.parse(out(c, ProcessSpec.of("cat", "/proc/self/mountinfo")));
        MountInfo shm = Probe.mountAt(mounts, "/dev/shm").orElseThrow();
        assertThat(shm.fsType()).isEqualTo("tmpfs");
        assertThat(shm.source()).isEqualTo("tmpfs");
        assertThat(shm.options()).contains("rw", "nosuid", "nodev", "noexec");
        assertThat(Probe.mountAt(mounts, "/dev/pts").orElseThrow().fsType()).isEqualTo("devpts");
        assertThat(run(c, ProcessSpec.of("test", "-e", "/dev/fuse")).exit()).as("no FUSE unprivileged").isNotZero();

        BackendContainer p = create("dev-priv", true);
        assertThat(out(p, ProcessSpec.of("stat", "-c", "%F %t:%T %a", "/dev/fuse"))).isEqualTo("character special file a:e5 666\n");
        assertThat(out(p, ProcessSpec.of("sh", "-c", "exec 3<>/dev/fuse && echo opened"))).as("the device cgroup allows it")
                .isEqualTo("opened\n");
        assertThat(run(p, ProcessSpec.of("sh", "-c", "mknod /dev/sda-x b 8 0 && exec 3</dev/sda-x")).exit())
                .as("a disk is not on Guardian's device list").isNotZero();
    }

    @Test
    void unprivilegedContainersSeeTheirOwnCgroupsReadOnly() throws IOException {
        Limits limits = Limits.NONE.withMemory(new MemoryLimits(64L << 20)).withPid(new PidLimits(77));
        BackendContainer c = create(ContainerSpec.withHandle(root().handle("cgroups")).withLimits(limits));
        assertThat(out(c, ProcessSpec.of("cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes"))).isEqualTo((64L << 20) + "\n");
        assertThat(out(c, ProcessSpec.of("cat", "/sys/fs/cgroup/pids/pids.max"))).isEqualTo("77\n");
        List<MountInfo> mounts = MountInfo.parse(out(c, ProcessSpec.of("cat", "/proc/self/mountinfo")));
        List<MountInfo> cgroupMounts = mounts.stream().filter(m -> m.mountPoint().startsWith(BundleRules.CGROUP_MOUNT + "/")).toList();
        for (String controller : hostV1Controllers()) {
            assertThat(cgroupMounts).as("controller %s", controller)
                    .anySatisfy(m -> assertThat(m.superOptions()).contains(controller));
        }
        assertThat(cgroupMounts).isNotEmpty().allSatisfy(m -> assertThat(m.readOnly()).as(m.mountPoint()).isTrue());
        Result write = run(c, ProcessSpec.of("sh", "-c", "echo 1 > /sys/fs/cgroup/memory/memory.limit_in_bytes"));
        assertThat(write.exit()).isNotZero();
        assertThat(write.stderr()).contains("Read-only file system");
    }

    /** The controllers of the host's cgroup v1 hierarchies (this host is hybrid). */
    private static List<String> hostV1Controllers() throws IOException {
        return MountInfo.parse(Files.readString(Path.of("/proc/self/mountinfo"))).stream()
                .filter(m -> m.fsType().equals("cgroup")).flatMap(m -> m.superOptions().stream())
                .filter(o -> List.of("memory", "cpu", "cpuacct", "pids", "devices", "freezer", "blkio", "cpuset", "hugetlb")
                        .contains(o)).distinct().toList();
    }

    @Test
    void runcsMaskedPathsAreMaskedAndReadOnlyPathsReadOnly() {
        BackendContainer c = create("masked", false);
        List<MountInfo> mounts = MountInfo.parse(out(c, ProcessSpec.of("cat", "/proc/self/mountinfo")));
        int checked = 0;
        for (String path : BundleRules.MASKED_PATHS) {
            Path host = Path.of(path);
            if (!Files.exists(host)) continue; // this kernel has no such file: nothing to mask
            checked++;
            MountInfo m = Probe.mountAt(mounts, path).orElseThrow(() -> new AssertionError(path + " is not masked"));
            if (Files.isDirectory(host)) {
                assertThat(m.fsType()).as(path).isEqualTo("tmpfs");
                assertThat(m.readOnly()).as(path).isTrue();
                assertThat(out(c, ProcessSpec.of("ls", "-A", path))).as("%s is empty", path).isEmpty();
            } else {
                assertThat(out(c, ProcessSpec.of("wc", "-c", path))).as("%s reads as /dev/null", path).startsWith("0 ");
            }
        }
        assertThat(checked).as("masked paths this kernel has").isGreaterThanOrEqualTo(2);
        for (String path : BundleRules.READONLY_PATHS) {
            if (!Files.exists(Path.of(path))) continue; // e.g. no /proc/sysrq-trigger in this kernel
            assertThat(Probe.mountAt(mounts, path)).as(path).hasValueSatisfying(m -> assertThat(m.readOnly()).isTrue());
        }
        // the container's root owns its UTS namespace, so only the read-only mount stops this write
        Result write = run(c, ProcessSpec.of("sh", "-c", "echo x > /proc/sys/kernel/domainname"));
        assertThat(write.exit()).isNotZero();
        assertThat(write.stderr()).contains("Read-only file system");
    }

    /** A pea (a process with an image of its own) keeps its container's filter, capability sets, stdio and rlimits. */
    @Test
    void peasGetTheSameDefaults() {
        BackendContainer c = create("pea", false);
        dev.cloche.api.ImageRef image = dev.cloche.api.ImageRef.of(root().settings().get("defaultRootfs"));
        String status = out(c, ProcessSpec.of("cat", "/proc/self/status").withImage(image));
        assertThat(Probe.field(status, "Seccomp")).isEqualTo("2");
        assertThat(Probe.capabilities(status)).isEqualTo(sets(UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED, UNPRIVILEGED, 0));
        assertThat(Probe.capabilities(out(c, ProcessSpec.of("cat", "/proc/self/status").withImage(image).withUser(NON_ROOT))))
                .isEqualTo(sets(UNPRIVILEGED, 0, 0, UNPRIVILEGED, 0));
        assertThat(run(c, ProcessSpec.of("sh", "-c", "echo err > /dev/stderr; ulimit -n").withImage(image).withUser(NON_ROOT)
                .withRlimits(new ResourceLimits(Map.of(ResourceLimits.Rlimit.NOFILE, 256L))))).isEqualTo(new Result(0, "256\n", "err\n"));
    }

    @Test
    void rlimitsOfTheSpecApplyToRootAndNonRootProcesses() {
        BackendContainer c = create("rlimits", false);
        ResourceLimits limits = new ResourceLimits(Map.of(ResourceLimits.Rlimit.NOFILE, 512L, ResourceLimits.Rlimit.CORE, 0L,
                ResourceLimits.Rlimit.NPROC, 300L));
        for (String user : List.of("root", NON_ROOT)) {
            assertThat(out(c, ProcessSpec.of("sh", "-c", "ulimit -n; ulimit -c; ulimit -u").withUser(user).withRlimits(limits)))
                    .as(user).isEqualTo("512\n0\n300\n");
        }
    }

    /**
     * The kernel's key quota is per host uid, and every unprivileged container's root is the same host uid: they are
     * made with no session keyring of their own (their filter has no keyctl anyway), so neither creates nor
     * processes charge that uid (before, the 191st container failed: docs/reliability.md). A privileged container
     * keeps a keyring of its own, charged to root, and does not share the daemon's.
     */
    @Test
    void unprivilegedContainersChargeNoKernelKeysAndPrivilegedOnesHaveTheirOwnKeyring() {
        long mappedRoot = BundleRules.hostId(0, false);
        long before = quotaKeys(mappedRoot);
        for (int i = 0; i < 3; i++) {
            BackendContainer c = create("keys", false);
            assertThat(run(c, ProcessSpec.of("true")).exit()).isZero();
            assertThat(run(c, ProcessSpec.of("true").withImage(dev.cloche.api.ImageRef.of(root().settings().get("defaultRootfs"))))
                    .exit()).isZero();
        }
        // 9 keys before the fix (a keyring per container, exec and pea); < 3 leaves room for another daemon's
        assertThat(quotaKeys(mappedRoot) - before).as("keys charged to host uid %d", mappedRoot).isLessThan(3);

        long rootBefore = quotaKeys(0);
        BackendContainer privileged = create("keys-priv", true);
        assertThat(quotaKeys(0)).as("root's keys with a privileged container").isGreaterThan(rootBefore);
        root().destroy(privileged);
    }

    /** The keys the kernel charges to {@code uid} now ({@code qnkeys} of /proc/key-users; 0 when it has none). */
    private static long quotaKeys(long uid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/key-users"))) {
                String[] f = line.strip().split("[:\\s/]+");
                if (f[0].equals(Long.toString(uid))) return Long.parseLong(f[4]);
            }
            return 0;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
