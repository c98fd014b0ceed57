package dev.cloche.linux.image;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.image.RegistryPolicy;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The backend's image settings: the registry of hostless {@code docker:///} references, registries spoken to over
 * plain HTTP besides loopback ones, and the store size above which unused images are collected (Garden's
 * {@code graph_cleanup_threshold_in_mb}; negative: only {@code cloche images prune} collects).
 */
public record ImageSettings(RegistryPolicy registries, long cleanupThresholdBytes) {
    public static final Set<String> KEYS = Set.of("defaultRegistry", "insecureRegistries", "imageCleanupThresholdMb");

    public static ImageSettings from(Map<String, String> s) {
        String registry = s.getOrDefault("defaultRegistry", RegistryPolicy.DOCKER_HUB).strip();
        if (!registry.matches("[A-Za-z0-9.-]+(:[0-9]{1,5})?|\\[[0-9a-fA-F:]+\\](:[0-9]{1,5})?")) {
            throw new InvalidRequestException("defaultRegistry must be HOST[:PORT]: " + registry);
        }
        Set<String> insecure = Arrays.stream(s.getOrDefault("insecureRegistries", "").split(","))
                .map(String::strip).filter(r -> !r.isEmpty()).collect(Collectors.toSet());
        long mb;
        try {
            mb = Long.parseLong(s.getOrDefault("imageCleanupThresholdMb", "-1").strip());
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("imageCleanupThresholdMb must be a number of MiB (negative: never): "
                    + s.get("imageCleanupThresholdMb"));
        }
        return new ImageSettings(new RegistryPolicy(registry, insecure), mb < 0 ? -1 : mb << 20);
    }
}
