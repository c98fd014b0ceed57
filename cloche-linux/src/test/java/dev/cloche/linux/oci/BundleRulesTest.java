package dev.cloche.linux.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.BindMount;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class BundleRulesTest {
    private static final long ALL = -1L;
    /** This VM: every capability up to 40 except CAP_SYS_RESOURCE (24). */
    private static final long NO_SYS_RESOURCE = 0x1fffeffffffL;

    private static BundleInput input(ContainerSpec spec, long caps) {
        return new BundleInput("c1", spec, Path.of("/depot/containers/c1/merged"), Path.of("/depot/bin/cloche-init"),
                Path.of("/usr/bin/busybox"), "cloche", caps);
    }

    private static Bundle apply(BundleRule<BundleInput> rule, ContainerSpec spec) {
        return rule.apply(Bundle.EMPTY, input(spec, ALL));
    }

    @Test
    void unprivilegedGetsAUserNamespaceWithGuardianMappings() {
        Bundle b = apply(new BundleRules.NamespacesRule(), ContainerSpec.withHandle("h"));
        assertThat(b.namespaces()).containsExactly("pid", "mount", "uts", "ipc", "network", "user");
        assertThat(b.uidMappings()).containsExactly(new Bundle.IdMapping(0, 4294967294L, 1), new Bundle.IdMapping(1, 1, 4294967293L));
        assertThat(b.gidMappings()).isEqualTo(b.uidMappings());
    }

    @Test
    void privilegedHasNoUserNamespace() {
        Bundle b = apply(new BundleRules.NamespacesRule(), ContainerSpec.withHandle("h").withPrivileged(true));
        assertThat(b.namespaces()).doesNotContain("user");
        assertThat(b.uidMappings()).isEmpty();
    }

    @Test
    void hostnameIsTheHandleOrItsLast49Characters() {
        assertThat(apply(new BundleRules.HostnameRule(), ContainerSpec.withHandle("short")).hostname()).isEqualTo("short");
        String longHandle = "a".repeat(10) + "b".repeat(49);
        assertThat(apply(new BundleRules.HostnameRule(), ContainerSpec.withHandle(longHandle)).hostname()).isEqualTo("b".repeat(49));
    }

    @Test
    void mountsHaveTheStandardSetTheInitAndUserBindMounts() {
        ContainerSpec spec = ContainerSpec.withHandle("h").withBindMounts(List.of(
                new BindMount("/host/data", "/data", BindMount.Mode.RO, BindMount.Origin.HOST),
                new BindMount("../../etc/x", "/x", BindMount.Mode.RW, BindMount.Origin.CONTAINER)));
        List<Bundle.Mount> m = apply(new BundleRules.MountsRule(), spec).mounts();
        assertThat(m).extracting(Bundle.Mount::destination).containsExactly("/proc", "/dev", "/dev/pts", "/dev/shm",
                "/dev/mqueue", "/sys", "/sys/fs/cgroup", "/tmp/garden-init", "/tmp/busybox-garden", "/data", "/x");
        assertThat(m.get(7)).isEqualTo(new Bundle.Mount("/tmp/garden-init", "bind", "/depot/bin/cloche-init", List.of("bind", "ro", "nosuid")));
        assertThat(m.get(9).options()).contains("ro");
        assertThat(m.get(10).source()).isEqualTo("/depot/containers/c1/merged/etc/x");
        assertThat(m.get(10).options()).contains("rw");
        assertThat(m.get(5).options()).contains("ro");
        assertThat(m.get(3)).as("Guardian's /dev/shm").isEqualTo(new Bundle.Mount("/dev/shm", "tmpfs", "tmpfs",
                List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
        assertThat(m.get(6)).as("the container's own cgroups, read-only").isEqualTo(new Bundle.Mount("/sys/fs/cgroup",
                "cgroup", "cgroup", List.of("ro", "nosuid", "noexec", "nodev")));
    }

    @Test
    void privilegedContainersDoNotMountTheirCgroups() {
        List<Bundle.Mount> m = apply(new BundleRules.MountsRule(), ContainerSpec.withHandle("h").withPrivileged(true)).mounts();
        assertThat(m).extracting(Bundle.Mount::destination).doesNotContain("/sys/fs/cgroup").contains("/sys", "/dev/shm");
    }

    @Test
    void relativeBindMountDestinationIsRejected() {
        ContainerSpec spec = ContainerSpec.withHandle("h").withBindMounts(List.of(
                new BindMount("/a", "rel", BindMount.Mode.RO, BindMount.Origin.HOST)));
        assertThatThrownBy(() -> apply(new BundleRules.MountsRule(), spec)).isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void cgroupPathAndLimits() {
        Limits l = Limits.NONE.withMemory(new MemoryLimits(1 << 20)).withCpu(new CpuLimits(0, 256)).withPid(new PidLimits(7));
        Bundle b = apply(new BundleRules.CgroupRule(), ContainerSpec.withHandle("h").withLimits(l));
        assertThat(b.cgroupsPath()).isEqualTo("/cloche/c1");
        assertThat(b.resources()).isEqualTo(new Bundle.Resources(1 << 20, 256, 7, List.of()));
        String json = BundleJson.config(b);
        assertThat(json).contains("\"memory\":{\"limit\":1048576}", "\"cpu\":{\"shares\":256}", "\"pids\":{\"limit\":7}");
        assertThat(BundleJson.config(apply(new BundleRules.CgroupRule(), ContainerSpec.withHandle("h")))).doesNotContain("\"pids\"", "\"memory\"");
    }

    @Test
    void initProcessHasEnvCapsAndNofile() {
        ContainerSpec spec = ContainerSpec.withHandle("h").withEnv(List.of("A=1", "PATH=/custom"));
        OciProcess p = new BundleRules.InitProcessRule().apply(Bundle.EMPTY, input(spec, NO_SYS_RESOURCE)).process();
        assertThat(p.args()).containsExactly("/tmp/garden-init");
        assertThat(p.env()).containsExactly("A=1", "PATH=/custom");
        assertThat(p.capabilities()).isEqualTo(BundleRules.UNPRIVILEGED_CAPS);
        assertThat(p.rlimits()).containsExactly(new OciProcess.Rlimit("RLIMIT_NOFILE", 1024, 1024));

        OciProcess priv = new BundleRules.InitProcessRule().apply(Bundle.EMPTY, input(spec.withPrivileged(true), NO_SYS_RESOURCE)).process();
        assertThat(priv.capabilities()).as("Guardian's privileged set, less what the host lacks")
                .contains("CAP_SYS_ADMIN", "CAP_AUDIT_READ").doesNotContain("CAP_SYS_RESOURCE", "CAP_CHECKPOINT_RESTORE", "CAP_BPF")
                .hasSize(37);
        assertThat(BundleRules.PRIVILEGED_CAPS).hasSize(38).startsWith("CAP_CHOWN").endsWith("CAP_AUDIT_READ");
    }

    @Test
    void nonRootProcessesKeepGuardiansNonRootMaximum() {
        assertThat(BundleRules.nonRootCapabilities(BundleRules.UNPRIVILEGED_CAPS)).isEqualTo(BundleRules.UNPRIVILEGED_CAPS);
        List<String> privileged = BundleRules.nonRootCapabilities(BundleRules.capabilities(true, NO_SYS_RESOURCE));
        assertThat(privileged).containsExactlyInAnyOrderElementsOf(BundleRules.NON_ROOT_MAX_CAPS)
                .contains("CAP_SYS_ADMIN").doesNotContain("CAP_NET_ADMIN");
    }

    @Test
    void hostIdsFollowGuardiansMapping() {
        assertThat(BundleRules.hostId(0, false)).isEqualTo(4294967294L);
        assertThat(BundleRules.hostId(1000, false)).isEqualTo(1000);
        assertThat(BundleRules.hostId(0, true)).isZero();
        assertThat(BundleRules.hostId(1000, true)).isEqualTo(1000);
        assertThatThrownBy(() -> BundleRules.hostId(4294967294L, false)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unprivilegedContainersGetGuardiansSeccompAllowListAndPrivilegedNone() {
        Seccomp s = apply(new BundleRules.SeccompRule(), ContainerSpec.withHandle("h")).seccomp().orElseThrow();
        assertThat(s.defaultAction()).as("EPERM for everything unlisted").isEqualTo("SCMP_ACT_ERRNO");
        assertThat(s.architectures()).containsExactly("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32");
        List<String> allowedAlways = s.syscalls().stream().filter(r -> r.action().equals("SCMP_ACT_ALLOW") && r.args().isEmpty())
                .flatMap(r -> r.names().stream()).toList();
        assertThat(allowedAlways).contains("read", "write", "execve", "chroot", "ptrace", "openat2").doesNotContain(
                "unshare", "mount", "keyctl", "setns", "bpf", "kexec_load", "init_module", "clone", "personality", "clone3");
        assertThat(allowedAlways).hasSize(312).doesNotHaveDuplicates();
        assertThat(s.syscalls()).contains(new Seccomp.Rule(List.of("clone"), "SCMP_ACT_ALLOW", java.util.OptionalLong.empty(),
                        List.of(new Seccomp.Arg(0, 0x7c020000L, 0, "SCMP_CMP_MASKED_EQ"))),
                new Seccomp.Rule(List.of("clone3"), "SCMP_ACT_ERRNO", java.util.OptionalLong.of(38), List.of()),
                new Seccomp.Rule(List.of("personality"), "SCMP_ACT_ALLOW", java.util.OptionalLong.empty(),
                        List.of(new Seccomp.Arg(0, 8, 0, "SCMP_CMP_EQ"))));
        assertThat(apply(new BundleRules.SeccompRule(), ContainerSpec.withHandle("h").withPrivileged(true)).seccomp()).isEmpty();

        String json = BundleJson.config(BundleRules.build(input(ContainerSpec.withHandle("h"), ALL)));
        assertThat(json).contains("\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\"",
                "{\"names\":[\"clone3\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}",
                "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":2080505856,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}");
    }

    @Test
    void privilegedContainersGetFuseAndGuardiansDeviceListOthersDenyAll() {
        Bundle priv = apply(new BundleRules.DevicesRule(), ContainerSpec.withHandle("h").withPrivileged(true));
        assertThat(priv.devices()).containsExactly(new Bundle.Device("/dev/fuse", "c", 10, 229, 0666, 0, 0));
        assertThat(priv.resources().devices()).startsWith(Bundle.DeviceRule.DENY_ALL)
                .contains(Bundle.DeviceRule.allowChar(10, 229), Bundle.DeviceRule.allowChar(136, -1))
                .noneMatch(r -> r.allow() && r.type().equals("a"));
        Bundle unpriv = apply(new BundleRules.DevicesRule(), ContainerSpec.withHandle("h"));
        assertThat(unpriv.devices()).isEmpty();
        assertThat(unpriv.resources().devices()).containsExactly(Bundle.DeviceRule.DENY_ALL);
        String json = BundleJson.config(BundleRules.build(input(ContainerSpec.withHandle("h").withPrivileged(true), ALL)));
        assertThat(json).contains("\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\",\"major\":10,\"minor\":229,\"fileMode\":438",
                "{\"allow\":false,\"type\":\"a\",\"access\":\"rwm\"}", "{\"allow\":true,\"type\":\"c\",\"major\":136,\"access\":\"rwm\"}");
    }

    @Test
    void envLayeringReplacesByKeyAndAddsDefaultPath() {
        assertThat(BundleRules.layerEnv(List.of("A=1", "B=2"), List.of("B=3", "C")))
                .containsExactly("A=1", "B=3", "C", BundleRules.DEFAULT_PATH);
    }

    @Test
    void maskedPathsOnlyForUnprivileged() {
        assertThat(apply(new BundleRules.MaskedPathsRule(), ContainerSpec.withHandle("h")).maskedPaths()).contains("/proc/kcore");
        assertThat(apply(new BundleRules.MaskedPathsRule(), ContainerSpec.withHandle("h").withPrivileged(true)).maskedPaths()).isEmpty();
    }

    @Test
    void fullBundleSerialisesUserNamespaceAndProcess() {
        String json = BundleJson.config(BundleRules.build(input(ContainerSpec.withHandle("h"), ALL)));
        assertThat(json).contains("\"uidMappings\":[{\"containerID\":0,\"hostID\":4294967294,\"size\":1}",
                "\"root\":{\"path\":\"/depot/containers/c1/merged\"", "\"hostname\":\"h\"", "{\"type\":\"user\"}",
                "\"args\":[\"/tmp/garden-init\"]", "\"terminal\":false", "\"cgroupsPath\":\"/cloche/c1\"");
        String priv = BundleJson.config(BundleRules.build(input(ContainerSpec.withHandle("h").withPrivileged(true), ALL)));
        assertThat(priv).doesNotContain("uidMappings", "\"user\"}", "seccomp").contains("{\"allow\":true,\"type\":\"c\",\"major\":10,\"minor\":229,\"access\":\"rwm\"}");
    }

    @Test
    void processJsonForNonRootHasNoEffectiveCapabilities() {
        String json = BundleJson.process(new OciProcess(List.of("id"), List.of(), "/", 1000, 1000, List.of("CAP_KILL"), false, List.of()));
        assertThat(json).contains("\"user\":{\"uid\":1000,\"gid\":1000}", "\"bounding\":[\"CAP_KILL\"]", "\"effective\":[]",
                "\"inheritable\":[\"CAP_KILL\"]", "\"permitted\":[]");
        String root = BundleJson.process(new OciProcess(List.of("id"), List.of(), "/", 0, 0, List.of("CAP_KILL"), true, List.of()));
        assertThat(root).as("Guardian's root: bounding = inheritable = permitted = effective, nothing ambient")
                .contains("\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],\"inheritable\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\"]}");
    }

    @Test
    void processJsonOnATerminalCarriesTheWindowAndWithoutOneHasNoSize() {
        OciProcess plain = new OciProcess(List.of("sh"), List.of(), "/", 0, 0, List.of(), true, List.of());
        assertThat(BundleJson.process(plain)).contains("\"terminal\":false").doesNotContain("consoleSize");
        OciProcess tty = new OciProcess(List.of("sh"), List.of(), "/", 0, 0, List.of(), true, List.of(),
                Optional.of(new OciProcess.ConsoleSize(30, 100)));
        assertThat(BundleJson.process(tty)).contains("\"terminal\":true", "\"consoleSize\":{\"height\":30,\"width\":100}");
    }

    private static ContainerSpec everything() {
        return ContainerSpec.withHandle("h").withBindMounts(List.of(
                new BindMount("/host/data", "/data", BindMount.Mode.RO, BindMount.Origin.HOST)))
                .withLimits(Limits.NONE.withMemory(new MemoryLimits(64 << 20)).withCpu(new CpuLimits(0, 512)).withPid(new PidLimits(50)));
    }

    @Test
    void aConfigReadsBackAsTheBundleItWasWrittenFrom() {
        for (ContainerSpec spec : List.of(everything(), everything().withPrivileged(true), ContainerSpec.withHandle("plain"))) {
            Bundle b = BundleRules.build(input(spec, NO_SYS_RESOURCE));
            assertThat(BundleJson.read(BundleJson.config(b))).isEqualTo(b);
        }
        Bundle tty = BundleRules.build(input(everything(), ALL)).withProcess(new OciProcess(List.of("sh"), List.of("A=1"), "/x",
                7, 8, List.of("CAP_KILL"), true, List.of(BundleRules.NOFILE), Optional.of(new OciProcess.ConsoleSize(30, 100))));
        assertThat(BundleJson.read(BundleJson.config(tty))).isEqualTo(tty);
        assertThatThrownBy(() -> BundleJson.read("{\"process\": 1}")).isInstanceOf(IllegalArgumentException.class);
    }

    /** A config.json of a container made before devices had types still reads (its one-shot containers need it). */
    @Test
    void anOlderConfigWithUntypedDeviceRulesReadsBack() {
        Bundle b = BundleRules.build(input(ContainerSpec.withHandle("old"), NO_SYS_RESOURCE));
        String old = BundleJson.config(b).replace("{\"allow\":false,\"type\":\"a\",\"access\":\"rwm\"}",
                "{\"allow\":false,\"access\":\"rwm\"}");
        assertThat(old).doesNotContain("\"type\":\"a\"");
        assertThat(BundleJson.read(old).resources().devices()).containsExactly(Bundle.DeviceRule.DENY_ALL);
    }

    /** A one-shot container is the container's config with the process and the cgroup replaced, nothing else. */
    @Test
    @SuppressWarnings("unchecked")
    void aOneShotContainerIsTheContainersConfigWithItsOwnProcessAndCgroup() throws Exception {
        Bundle container = BundleRules.build(input(everything(), NO_SYS_RESOURCE));
        OciProcess tar = new OciProcess(List.of(BundleRules.TOOL_PATH, "tar", "-c"), List.of("PATH=/bin"), "/", 1000, 1000,
                List.of("CAP_KILL"), false, List.of());
        Bundle oneShot = BundleRules.oneShot(container, new BundleRules.OneShot(tar, "/cloche/c1/tar-3"));
        assertThat(oneShot.process()).isEqualTo(tar);
        assertThat(oneShot.cgroupsPath()).isEqualTo("/cloche/c1/tar-3");
        assertThat(oneShot.withProcess(container.process()).withCgroup(container.cgroupsPath(), container.resources()))
                .isEqualTo(container);

        // the same JSON as patching the config's tree in place, as the one-shot was made before it was a rule
        var json = tools.jackson.databind.json.JsonMapper.builder().build();
        java.util.Map<String, Object> patched = json.readValue(BundleJson.config(container), java.util.Map.class);
        patched.put("process", json.readValue(BundleJson.process(tar), java.util.Map.class));
        ((java.util.Map<String, Object>) patched.get("linux")).put("cgroupsPath", "/cloche/c1/tar-3");
        assertThat(BundleJson.config(oneShot)).isEqualTo(json.writeValueAsString(patched));
    }
}
