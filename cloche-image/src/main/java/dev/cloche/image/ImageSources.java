package dev.cloche.image;

import dev.cloche.image.layout.OciLayoutSource;
import dev.cloche.image.registry.RegistryClient;
import dev.cloche.image.registry.RegistrySettings;

/**
 * Opens the source of a {@code docker://} or {@code oci://} reference; the layer store takes {@code sources::open}.
 * Registry images share one client (connections, tokens); {@link #close()} releases it.
 */
public final class ImageSources implements AutoCloseable {
    private final RegistryClient registries;

    public ImageSources(RegistryPolicy policy) {
        this(policy, RegistrySettings.DEFAULT);
    }

    public ImageSources(RegistryPolicy policy, RegistrySettings settings) {
        this.registries = new RegistryClient(policy, settings);
    }

    /** The source of a registry image or an OCI layout; other references have none (IllegalArgumentException). */
    public ImageSource open(ImageReference ref) {
        return switch (ref) {
            case ImageReference.Registry r -> registries.source(r);
            case ImageReference.OciLayout o -> new OciLayoutSource(o);
            default -> throw new IllegalArgumentException(ref + " is not a registry image or an OCI layout");
        };
    }

    @Override
    public void close() {
        registries.close();
    }
}
