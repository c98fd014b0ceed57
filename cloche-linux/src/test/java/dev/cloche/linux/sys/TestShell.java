package dev.cloche.linux.sys;

import java.time.Duration;
import java.util.List;

/** The tests' own host commands (sh, stat, kill, …), which the backend never runs and so need no declaration. */
public final class TestShell {
    private static final CommandRunner RUNNER = new SpawningCommandRunner(Duration.ofSeconds(120), false);

    private TestShell() {}

    public static CommandResult run(String... argv) {
        return RUNNER.run(List.of(argv));
    }

    public static CommandResult run(List<String> argv) {
        return RUNNER.run(argv);
    }

    public static CommandResult check(List<String> argv) {
        return RUNNER.check(argv);
    }

    public static CommandResult check(String... argv) {
        return RUNNER.check(List.of(argv));
    }

    public static java.lang.Process start(List<String> argv) {
        return RUNNER.start(argv);
    }
}
