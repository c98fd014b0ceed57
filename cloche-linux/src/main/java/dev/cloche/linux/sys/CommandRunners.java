package dev.cloche.linux.sys;

import java.time.Duration;

/** Factory for the real {@link CommandRunner}. */
public final class CommandRunners {
    private CommandRunners() {}

    /** Forks with {@link ProcessBuilder}; {@code timeout} bounds every {@link CommandRunner#run}. */
    public static CommandRunner processBuilder(Duration timeout) {
        return new ProcessBuilderCommandRunner(timeout, true);
    }
}
