package dev.cloche.docker;

import dev.cloche.spi.BackendProvider;
import dev.cloche.spi.ContainerBackend;
import java.util.Map;

/**
 * The docker backend: containers on a Docker-API engine (dockerd, or podman's Docker-compatible service). Settings:
 * {@code dockerHost}, {@code owner}, {@code state}, {@code defaultRootfs}, {@code externalIp}, {@code keepAlive},
 * {@code maxContainers} (see {@link DockerSettings}).
 */
public final class DockerBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "docker";
    }

    @Override
    public ContainerBackend create(Map<String, String> settings) {
        return DockerBackend.open(DockerSettings.from(settings), HostSignals.processHandles());
    }
}
