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
                "/dev/mqueue", "/sys", "/tmp/garden-init", "/tmp/busybox-garden", "/data", "/x");
        assertThat(m.get(6)).isEqualTo(new Bundle.Mount("/tmp/garden-init", "bind", "/depot/bin/cloche-init", List.of("bind", "ro", "nosuid")));
        assertThat(m.get(8).options()).contains("ro");
        assertThat(m.get(9).source()).isEqualTo("/depot/containers/c1/merged/etc/x");
        assertThat(m.get(9).options()).contains("rw");
        assertThat(m.get(5).options()).contains("ro");
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
        assertThat(b.resources()).isEqualTo(new Bundle.Resources(1 << 20, 256, 7, false));
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
        assertThat(priv.capabilities()).contains("CAP_SYS_ADMIN", "CAP_CHECKPOINT_RESTORE").doesNotContain("CAP_SYS_RESOURCE")
                .hasSize(BundleRules.ALL_CAPS.size() - 1);
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
        assertThat(priv).doesNotContain("uidMappings", "\"user\"}").contains("{\"allow\":true,\"access\":\"rwm\"}");
    }

    @Test
    void processJsonForNonRootHasNoEffectiveCapabilities() {
        String json = BundleJson.process(new OciProcess(List.of("id"), List.of(), "/", 1000, 1000, List.of("CAP_KILL"), false, List.of()));
        assertThat(json).contains("\"user\":{\"uid\":1000,\"gid\":1000}", "\"bounding\":[\"CAP_KILL\"]", "\"effective\":[]");
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
