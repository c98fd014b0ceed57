package dev.cloche.core;

import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the core.
 *
 * @param defaultGraceTime grace time for containers whose spec gives none; {@link Duration#ZERO} = never reap
 * @param createPolicy what containers and processes may reach on the host (bind mounts, privileged)
 * @param observer told of what the core does on its own (the reaper), for metrics
 */
public record CoreConfig(Duration defaultGraceTime, CreatePolicy createPolicy, CoreObserver observer) {
    public static final CoreConfig DEFAULTS = new CoreConfig(Duration.ZERO);

    public CoreConfig(Duration defaultGraceTime) {
        this(defaultGraceTime, CreatePolicy.OPEN, CoreObserver.NONE);
    }

    public CoreConfig {
        Objects.requireNonNull(defaultGraceTime, "defaultGraceTime");
        Objects.requireNonNull(createPolicy, "createPolicy");
        Objects.requireNonNull(observer, "observer");
        if (defaultGraceTime.isNegative()) {
            throw new IllegalArgumentException("default grace time must not be negative");
        }
    }

    /** These settings with {@code policy} checked on every create and process start. */
    public CoreConfig withCreatePolicy(CreatePolicy policy) {
        return new CoreConfig(defaultGraceTime, policy, observer);
    }

    /** These settings with {@code observer} told of the core's own work. */
    public CoreConfig withObserver(CoreObserver observer) {
        return new CoreConfig(defaultGraceTime, createPolicy, observer);
    }
}
