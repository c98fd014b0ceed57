package dev.cloche.spi;

import java.util.Map;

/**
 * Found by {@link java.util.ServiceLoader}; the daemon picks one by {@link #name()} and wires it explicitly.
 */
public interface BackendProvider {

    /** The name users select the backend by, e.g. {@code linux}. */
    String name();

    /** Builds the backend from the daemon's settings for it (keys documented by each backend). */
    ContainerBackend create(Map<String, String> settings);
}
