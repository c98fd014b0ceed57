package dev.cloche.image.registry;

import dev.cloche.image.ImageReference;
import dev.cloche.image.ImageSource;
import dev.cloche.image.RegistryPolicy;

/**
 * The distribution (v2) registry client: one HTTP client, token cache and read-timeout timer shared by every image
 * it opens. {@link #close()} aborts what is still in flight and releases its connections and threads.
 */
public final class RegistryClient implements AutoCloseable {
    private final RegistryHttp http;

    public RegistryClient(RegistryPolicy policy, RegistrySettings settings) {
        this.http = new RegistryHttp(policy, settings);
    }

    /** The image a reference names; nothing is fetched until {@link ImageSource#resolve()}. */
    public ImageSource source(ImageReference.Registry ref) {
        return new RegistryImageSource(http, ref);
    }

    @Override
    public void close() {
        http.close();
    }
}
