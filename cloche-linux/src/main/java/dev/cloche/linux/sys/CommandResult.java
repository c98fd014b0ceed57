package dev.cloche.linux.sys;

import java.util.Objects;

/** The outcome of a finished command. */
public record CommandResult(int exitCode, String stdout, String stderr) {
    public CommandResult {
        Objects.requireNonNull(stdout, "stdout");
        Objects.requireNonNull(stderr, "stderr");
    }

    public static CommandResult ok(String stdout) {
        return new CommandResult(0, stdout, "");
    }
}
