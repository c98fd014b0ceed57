package dev.cloche.image;

import java.util.Objects;
import java.util.Set;

/**
 * Which registry serves hostless references, and which registries are spoken to over plain HTTP: every registry on
 * loopback (as Docker does) and those named with {@code --insecure-registry HOST:PORT}. All others use HTTPS.
 */
public record RegistryPolicy(String defaultRegistry, Set<String> insecureRegistries) {
    public static final String DOCKER_HUB = "registry-1.docker.io";
    public static final RegistryPolicy DEFAULT = new RegistryPolicy(DOCKER_HUB, Set.of());

    public RegistryPolicy {
        Objects.requireNonNull(defaultRegistry, "defaultRegistry");
        insecureRegistries = Set.copyOf(insecureRegistries);
    }

    /** {@code host[:port]} as written in a reference. */
    public boolean plainHttp(String registry) {
        if (insecureRegistries.contains(registry)) return true;
        String host = registry.startsWith("[") ? registry.substring(1, Math.max(1, registry.indexOf(']')))
                : registry.contains(":") ? registry.substring(0, registry.lastIndexOf(':')) : registry;
        return host.equals("localhost") || host.startsWith("127.") || host.equals("::1");
    }
}
