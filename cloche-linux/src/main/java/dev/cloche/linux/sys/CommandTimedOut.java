package dev.cloche.linux.sys;

import java.time.Duration;
import java.util.List;

/**
 * A command that did not finish within its bound and was killed with every process it had started. Not a Garden
 * error: what it means for the client depends on the command, so its caller words it (a runtime verb that hung is
 * {@code ServiceUnavailable}, RuncCli).
 */
public final class CommandTimedOut extends RuntimeException {
    private final transient List<String> argv;
    private final Duration bound;

    public CommandTimedOut(List<String> argv, Duration bound) {
        super(String.join(" ", argv) + " did not finish within " + bound.toMillis() + " ms and was killed");
        this.argv = List.copyOf(argv);
        this.bound = bound;
    }

    public List<String> argv() {
        return argv;
    }

    public Duration bound() {
        return bound;
    }
}
