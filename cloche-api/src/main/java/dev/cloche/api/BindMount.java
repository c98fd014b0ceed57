package dev.cloche.api;

import java.util.Objects;

/** Garden's {@code BindMount}: {@code srcPath} on the host (or in the container for {@link Origin#CONTAINER}). */
public record BindMount(String srcPath, String dstPath, Mode mode, Origin origin) {

    /** Wire values: 0 = RO, 1 = RW. */
    public enum Mode { RO, RW }

    /** Wire values: 0 = host, 1 = container. */
    public enum Origin { HOST, CONTAINER }

    public BindMount {
        Objects.requireNonNull(srcPath, "srcPath");
        Objects.requireNonNull(dstPath, "dstPath");
        Objects.requireNonNull(mode, "mode");
        Objects.requireNonNull(origin, "origin");
    }
}
