package dev.cloche.linux;

import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.spi.BackendProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/** A process whose exit completes only after the container's OOM kills were checked ({@link OomWatch}). */
final class OomReportingProcess implements BackendProcess {
    private final BackendProcess process;
    private final CompletableFuture<Integer> exit;

    OomReportingProcess(BackendProcess process, OomWatch oom) {
        this.process = process;
        this.exit = process.exit().thenApply(code -> {
            oom.check();
            return code;
        });
    }

    BackendProcess inner() {
        return process;
    }

    @Override
    public String id() {
        return process.id();
    }

    @Override
    public OutputStream stdin() {
        return process.stdin();
    }

    @Override
    public InputStream openStdout() {
        return process.openStdout();
    }

    @Override
    public InputStream openStderr() {
        return process.openStderr();
    }

    @Override
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    @Override
    public void signal(Signal signal) {
        process.signal(signal);
    }

    @Override
    public void resize(TtySpec tty) {
        process.resize(tty);
    }
}
