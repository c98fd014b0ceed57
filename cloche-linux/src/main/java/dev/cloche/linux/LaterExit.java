package dev.cloche.linux;

import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.spi.BackendProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * A process seen through a wrapper whose exit completes only after some work that must come first (a pea's removal,
 * the container's OOM report); everything else is the process's own.
 */
abstract class LaterExit implements BackendProcess {
    private final BackendProcess process;
    private final CompletableFuture<Integer> exit;

    LaterExit(BackendProcess process, CompletableFuture<Integer> exit) {
        this.process = process;
        this.exit = exit;
    }

    @Override
    public final String id() {
        return process.id();
    }

    @Override
    public final OutputStream stdin() {
        return process.stdin();
    }

    @Override
    public final InputStream openStdout() {
        return process.openStdout();
    }

    @Override
    public final InputStream openStderr() {
        return process.openStderr();
    }

    @Override
    public final CompletableFuture<Integer> exit() {
        return exit;
    }

    @Override
    public final void signal(Signal signal) {
        process.signal(signal);
    }

    @Override
    public final void resize(TtySpec tty) {
        process.resize(tty);
    }
}
