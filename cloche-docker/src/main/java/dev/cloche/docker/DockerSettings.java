package dev.cloche.docker;

import dev.cloche.api.InvalidRequestException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The docker backend's settings, each with a default.
 *
 * @param host the engine's API, {@code unix:///path.sock} (signals need a local engine) or {@code tcp://host:port}
 * @param owner labels this daemon's containers ({@code dev.cloche.owner}): a restarted daemon restores exactly these
 * @param state where process output and statuses are kept, one directory per container
 * @param defaultRootfs the rootfs of a container whose spec names none (imported as an engine image)
 * @param externalIp the host address NetIn ports are bound on and reported as the container's external IP
 * @param keepAlive the container's main process: the engine's init (tini or catatonit) runs it and reaps execs
 * @param maxContainers reported in the capacity
 */
record DockerSettings(URI host, String owner, Path state, Path defaultRootfs, String externalIp, List<String> keepAlive,
                      int maxContainers) {

    static final Set<String> KEYS = Set.of("dockerHost", "owner", "state", "defaultRootfs", "externalIp", "keepAlive",
            "maxContainers");

    static DockerSettings from(Map<String, String> s) {
        for (String k : s.keySet()) {
            if (!KEYS.contains(k)) throw new InvalidRequestException("unknown docker backend setting: " + k + " (known: " + KEYS + ")");
        }
        URI host = URI.create(s.getOrDefault("dockerHost", "unix:///var/run/docker.sock"));
        if (!List.of("unix", "tcp").contains(host.getScheme())) {
            throw new InvalidRequestException("dockerHost must be unix:///path or tcp://host:port: " + host);
        }
        String owner = s.getOrDefault("owner", "cloche");
        if (!owner.matches("[A-Za-z0-9][A-Za-z0-9_.-]*")) throw new InvalidRequestException("owner must be a plain name: " + owner);
        int max;
        try {
            max = Integer.parseInt(s.getOrDefault("maxContainers", "1024"));
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("maxContainers must be a number: " + s.get("maxContainers"));
        }
        return new DockerSettings(host, owner, Path.of(s.getOrDefault("state", "/var/lib/cloche/docker")),
                Path.of(s.getOrDefault("defaultRootfs", "/var/lib/cloche/rootfs")), s.getOrDefault("externalIp", "127.0.0.1"),
                List.of(s.getOrDefault("keepAlive", "sleep 2147483647").strip().split("\\s+")), max);
    }
}
