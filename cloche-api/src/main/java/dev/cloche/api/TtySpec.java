package dev.cloche.api;

import java.util.Objects;
import java.util.Optional;

/** Garden's {@code TTYSpec}. Presence asks for a PTY; the default window is 80x24. */
public record TtySpec(Optional<WindowSize> windowSize) {
    public static final TtySpec DEFAULT = new TtySpec(Optional.empty());

    public TtySpec { Objects.requireNonNull(windowSize, "windowSize"); }

    public static TtySpec of(int columns, int rows) { return new TtySpec(Optional.of(new WindowSize(columns, rows))); }

    /** Terminal size in character cells. */
    public record WindowSize(int columns, int rows) {}
}
