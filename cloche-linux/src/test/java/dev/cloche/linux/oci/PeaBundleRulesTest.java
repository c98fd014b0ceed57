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
import dev.cloche.api.ProcessLimits;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A pea's bundle is its container's, with its own root, mounts, cgroup and process (docs/peas.md). */
class PeaBundleRulesTest {
    private static final OciProcess PROCESS = new OciProcess(List.of("/bin/app"), List.of("PATH=/bin"), "/", 0, 0,
            List.of("CAP_KILL"), true, List.of());

    private static Bundle container(boolean privileged) {
        ContainerSpec spec = ContainerSpec.withHandle("web").withPrivileged(privileged)
                .withLimits(Limits.NONE.withMemory(new MemoryLimits(64L << 20)).withPid(new PidLimits(50)))
                .withBindMounts(List.of(new BindMount("/host/secret", "/secret", BindMount.Mode.RO, BindMount.Origin.HOST)));
        return BundleRules.build(new BundleInput("c1", spec, Path.of("/depot/containers/c1/merged"),
                Path.of("/depot/bin/cloche-init"), Path.of("/usr/bin/busybox"), "cloche", -1L));
    }

    private static BundleRules.Pea pea(Optional<ProcessLimits> limits, List<BindMount> binds) {
        return new BundleRules.Pea(Path.of("/depot/containers/c1/peas/p1/merged"), "/cloche/c1/p1", limits,
                Map.of("/etc/hosts", Path.of("/depot/containers/c1/peas/p1/hosts")), binds, PROCESS);
    }

    @Test
    void aPeaKeepsWhatTheContainersRulesDecidedAndChangesItsRootCgroupAndProcess() {
        Bundle c = container(false);
        Bundle p = BundleRules.pea(c, pea(Optional.empty(), List.of()));
        assertThat(p.rootPath()).isEqualTo("/depot/containers/c1/peas/p1/merged");
        assertThat(p.hostname()).as("the container's UTS namespace has it").isEmpty();
        assertThat(p.namespaces()).isEqualTo(c.namespaces());
        assertThat(p.uidMappings()).isEqualTo(c.uidMappings());
        assertThat(p.maskedPaths()).isEqualTo(c.maskedPaths()).isNotEmpty();
        assertThat(p.readonlyPaths()).isEqualTo(c.readonlyPaths());
        assertThat(p.seccomp()).as("Guardian's profile, as its container's").isEqualTo(c.seccomp()).isPresent();
        assertThat(p.devices()).isEqualTo(c.devices());
        assertThat(p.process()).isEqualTo(PROCESS);
        assertThat(p.cgroupsPath()).isEqualTo("/cloche/c1/p1");
        assertThat(p.resources()).as("within the container's limits, none of its own")
                .isEqualTo(new Bundle.Resources(0, 0, 0, c.resources().devices()));
    }

    @Test
    void aPeaHasTheContainersKernelFilesystemsNotItsBindsThenEtcFilesThenItsOwnBinds() {
        Bundle c = container(false);
        Bundle p = BundleRules.pea(c, pea(Optional.empty(), List.of(
                new BindMount("/host/data", "/data", BindMount.Mode.RW, BindMount.Origin.HOST),
                new BindMount("../../x", "/x", BindMount.Mode.RO, BindMount.Origin.CONTAINER))));
        List<Bundle.Mount> kernel = c.mounts().stream().filter(m -> !m.type().equals("bind")).toList();
        assertThat(p.mounts().subList(0, kernel.size())).isEqualTo(kernel);
        assertThat(p.mounts().subList(kernel.size(), p.mounts().size())).containsExactly(
                new Bundle.Mount("/etc/hosts", "bind", "/depot/containers/c1/peas/p1/hosts", List.of("bind", "ro", "nosuid", "nodev")),
                new Bundle.Mount("/data", "bind", "/host/data", List.of("bind", "rec", "rw")),
                new Bundle.Mount("/x", "bind", "/depot/containers/c1/peas/p1/merged/x", List.of("bind", "rec", "ro")));
        assertThat(p.mounts()).extracting(Bundle.Mount::destination)
                .doesNotContain("/secret", BundleRules.INIT_PATH, BundleRules.TOOL_PATH);
        assertThatThrownBy(() -> BundleRules.pea(c, pea(Optional.empty(), List.of(
                new BindMount("/a", "relative", BindMount.Mode.RO, BindMount.Origin.HOST)))))
                .isInstanceOf(InvalidRequestException.class);
    }

    @Test
    void overriddenLimitsAreThePeasOwnWithNoPidLimit() {
        Bundle p = BundleRules.pea(container(false), pea(Optional.of(new ProcessLimits(new CpuLimits(0, 512),
                new MemoryLimits(32L << 20))), List.of()));
        assertThat(p.resources().memoryLimit()).isEqualTo(32L << 20);
        assertThat(p.resources().cpuShares()).isEqualTo(512);
        assertThat(p.resources().pidsLimit()).isZero();
        Bundle none = BundleRules.pea(container(false), pea(Optional.of(new ProcessLimits(CpuLimits.NONE, MemoryLimits.NONE)), List.of()));
        assertThat(none.resources().memoryLimit()).isZero();
        assertThat(none.resources().pidsLimit()).isZero();
    }

    @Test
    void aPeaJoinsEveryNamespaceOfTheContainersInitButMount() {
        Bundle c = container(false);
        Map<String, String> joins = BundleRules.peaNamespacePaths(c, 4242);
        assertThat(joins).containsExactlyInAnyOrderEntriesOf(Map.of("pid", "/proc/4242/ns/pid", "uts", "/proc/4242/ns/uts",
                "ipc", "/proc/4242/ns/ipc", "network", "/proc/4242/ns/net", "user", "/proc/4242/ns/user"));
        assertThat(BundleRules.peaNamespacePaths(container(true), 7)).doesNotContainKeys("user", "mount");
        assertThatThrownBy(() -> BundleRules.peaNamespacePaths(c, 0)).isInstanceOf(IllegalArgumentException.class);

        JsonNode ns = JsonMapper.builder().build().readTree(BundleJson.config(BundleRules.pea(c, pea(Optional.empty(), List.of())), joins))
                .get("linux").get("namespaces");
        assertThat(ns.size()).isEqualTo(c.namespaces().size());
        for (JsonNode n : ns) {
            String type = n.get("type").asText();
            if (type.equals("mount")) assertThat(n.has("path")).as("a mount namespace of its own").isFalse();
            else assertThat(n.get("path").asText()).isEqualTo(joins.get(type));
        }
    }
}
