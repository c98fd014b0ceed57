package dev.cloche.api;

import java.io.InputStream;
import java.util.Objects;

/** An uncompressed tar stream to extract at {@code path} (relative to the user's home if relative) as {@code user}. */
public record StreamInSpec(String path, String user, InputStream tarStream) {
    public StreamInSpec { Objects.requireNonNull(path, "path"); Objects.requireNonNull(user, "user"); Objects.requireNonNull(tarStream, "tarStream"); }
}
