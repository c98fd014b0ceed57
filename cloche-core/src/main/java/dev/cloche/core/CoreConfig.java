package dev.cloche.core;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the core.
 *
 * @param defaultGraceTime grace time for containers whose spec gives none; {@link Duration#ZERO} = never reap
 * @param observer told of what the core does on its own (the reaper), for metrics
 */
public record CoreConfig(Duration defaultGraceTime, CoreObserver observer) {
    public static final CoreConfig DEFAULTS = new CoreConfig(Duration.ZERO);

    public CoreConfig(Duration defaultGraceTime) {
        this(defaultGraceTime, CoreObserver.NONE);
    }

    public CoreConfig {
        Objects.requireNonNull(defaultGraceTime, "defaultGraceTime");
        Objects.requireNonNull(observer, "observer");
        if (defaultGraceTime.isNegative()) {
            throw new IllegalArgumentException("default grace time must not be negative");
        }
    }
}
