package dev.cloche.linux.sys;

import dev.cloche.api.GardenError;
import java.util.List;

/** The only way the Linux backend forks: unit tests substitute a recording fake and assert the argv. */
public interface CommandRunner {

    /** Runs argv to completion, capturing stdout and stderr; never throws for a non-zero exit. */
    CommandResult run(List<String> argv);

    /**
     * As {@link #run}, with stdout and stderr on pipes instead of temporary files: only for commands none of whose
     * descendants keep the inherited stdio open (e.g. {@code cloche-monitor}, which moves its own to /dev/null),
     * since reading a pipe ends only when every holder has closed it. Saves creating and deleting two files.
     */
    default CommandResult runPiped(List<String> argv) {
        return run(argv);
    }

    /**
     * This runner with {@code bound} on every {@link #run} and {@link #runPiped}; a command past it is killed with
     * its descendants and the call throws {@link CommandTimedOut}. Fakes that never block keep their own.
     */
    default CommandRunner withTimeout(java.time.Duration bound) {
        return this;
    }

    /** Starts argv as a child of this JVM with piped stdio, for streaming (runc exec). */
    java.lang.Process start(List<String> argv);

    /** As {@link #run}, but a non-zero exit is an internal error carrying stderr. */
    default CommandResult check(List<String> argv) {
        CommandResult r = run(argv);
        if (r.exitCode() != 0) {
            throw GardenError.internal(String.join(" ", argv) + " failed (exit " + r.exitCode() + "): " + r.stderr().strip());
        }
        return r;
    }
}
