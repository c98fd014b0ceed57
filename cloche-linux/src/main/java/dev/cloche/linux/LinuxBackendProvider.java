package dev.cloche.linux;

import dev.cloche.spi.BackendProvider;
import dev.cloche.spi.ContainerBackend;
import java.util.Map;

/**
 * The Linux backend: runc (or crun), overlayfs, cgroup v1, user namespaces. Settings: {@code depot},
 * {@code runtime} (runc|crun), {@code runtimePath}, {@code runtimeRoot}, {@code defaultRootfs}, {@code initBinary},
 * {@code toolBinary}, {@code cgroupParent}, {@code maxContainers}.
 */
public final class LinuxBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "linux";
    }

    @Override
    public ContainerBackend create(Map<String, String> settings) {
        Settings s = Settings.from(settings);
        HostRequirements.ofHost().check(s);
        return new LinuxBackend(s, dev.cloche.linux.sys.CommandRunners.spawning(java.time.Duration.ofSeconds(60)),
                java.nio.file.Path.of("/sys/fs/cgroup"));
    }
}
