package dev.cloche.api;

import java.util.Objects;

/** A path to tar up: {@code dir} yields {@code dir/...}, {@code dir/} yields {@code ./...}. */
public record StreamOutSpec(String path, String user) {
    public StreamOutSpec { Objects.requireNonNull(path, "path"); Objects.requireNonNull(user, "user"); }
}
