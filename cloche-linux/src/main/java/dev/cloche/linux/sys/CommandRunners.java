package dev.cloche.linux.sys;

import java.time.Duration;

/** Factory for the real {@link CommandRunner}. */
public final class CommandRunners {
    private CommandRunners() {}

    /**
     * Spawns host programs with posix_spawn (others, tests' own commands, through {@link ProcessBuilder}); {@code
     * timeout} bounds every {@link CommandRunner#run}.
     */
    public static CommandRunner spawning(Duration timeout) {
        return new SpawningCommandRunner(timeout, true);
    }
}
