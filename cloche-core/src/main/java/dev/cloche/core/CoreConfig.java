package dev.cloche.core;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the core.
 *
 * @param defaultGraceTime grace time for containers whose spec gives none; {@link Duration#ZERO} = never reap
 */
public record CoreConfig(Duration defaultGraceTime) {
    public static final CoreConfig DEFAULTS = new CoreConfig(Duration.ZERO);

    public CoreConfig {
        Objects.requireNonNull(defaultGraceTime, "defaultGraceTime");
        if (defaultGraceTime.isNegative()) {
            throw new IllegalArgumentException("default grace time must not be negative");
        }
    }
}
