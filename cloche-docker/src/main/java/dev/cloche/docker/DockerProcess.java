package dev.cloche.docker;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * A process run by exec. Its output is in two {@link OutputFile}s filled from the exec's hijacked connection
 * ({@link ExecSession}); its stdin is that connection's sending half. Signals go to the exec's host pid.
 */
final class DockerProcess implements BackendProcess {
    private final String id;
    private final String execId;
    private final OutputFile stdout;
    private final OutputFile stderr;
    private final OutputStream stdin;
    private final CompletableFuture<Integer> exit;
    private final ProcessControl control;

    /** What a process needs from its container beyond its own streams. */
    interface ProcessControl {
        void signal(String execId, Signal signal);

        void resize(String execId, TtySpec tty);
    }

    DockerProcess(String id, String execId, OutputFile stdout, OutputFile stderr, OutputStream stdin,
                  CompletableFuture<Integer> exit, ProcessControl control) {
        this.id = id;
        this.execId = execId;
        this.stdout = stdout;
        this.stderr = stderr;
        this.stdin = stdin;
        this.exit = exit;
        this.control = control;
    }

    String execId() {
        return execId;
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream openStdout() {
        return stdout.open();
    }

    @Override
    public InputStream openStderr() {
        return stderr.open();
    }

    @Override
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    @Override
    public void signal(Signal signal) {
        if (exit.isDone()) return;
        control.signal(execId, signal);
    }

    @Override
    public void resize(TtySpec tty) {
        if (exit.isDone()) return;
        control.resize(execId, tty);
    }

    /** Stdin of a process whose connection is gone (restored): writes are refused, as the engine cannot reattach. */
    static OutputStream detachedStdin(String processId) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new InvalidRequestException("not supported by the docker backend: stdin of process " + processId
                        + " after a daemon restart (the engine cannot reattach to an exec)");
            }

            @Override
            public void close() {
                // nothing is connected to end
            }
        };
    }
}
