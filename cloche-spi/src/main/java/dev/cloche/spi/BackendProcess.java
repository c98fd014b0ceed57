package dev.cloche.spi;

import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * A process as the backend runs it. Output is kept from the first byte until the process is reaped, so every
 * {@link #openStdout()} replays it all and then follows live output until the process has exited and its output
 * ends (then EOF).
 */
public interface BackendProcess {

    String id();

    /**
     * The process's stdin. Shared by all attachers; closing it delivers EOF to the process. Writes after the
     * process exited are discarded.
     */
    OutputStream stdin();

    /** A new reader over all stdout from the first byte, blocking for more until the output ends. */
    InputStream openStdout();

    /** As {@link #openStdout()}, for stderr. Under a TTY stderr is merged into stdout and this ends at once. */
    InputStream openStderr();

    /** Completes with the exit status (128+signo on death by signal) when the process has exited. */
    CompletableFuture<Integer> exit();

    void signal(Signal signal);

    /** Applies a new window size (SIGWINCH); ignored without a TTY. */
    void resize(TtySpec tty);
}
