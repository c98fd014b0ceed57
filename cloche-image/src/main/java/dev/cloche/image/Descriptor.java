package dev.cloche.image;

import java.util.Map;
import java.util.Objects;

/** An OCI content descriptor: what a manifest or index says about a blob it points to. */
public record Descriptor(String mediaType, Digest digest, long size, Map<String, String> annotations) {
    public Descriptor {
        Objects.requireNonNull(mediaType, "mediaType");
        Objects.requireNonNull(digest, "digest");
        annotations = Map.copyOf(annotations);
    }
}
