package dev.cloche.linux;

import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.spi.BackendProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;

/**
 * A pea's process (docs/peas.md): a {@link MonitoredProcess} like any other, whose exit is reported once the pea's
 * runtime container, cgroup and volume are gone, so a caller that saw the exit sees nothing of the pea left.
 */
final class PeaProcess implements BackendProcess {
    private final MonitoredProcess process;
    private final String peaId;
    private final CompletableFuture<Integer> exit;

    /**
     * {@code clean} removes the pea; it runs once, on a thread of its own, after the process has exited, but not when
     * the process was only let go of ({@link MonitoredProcess#letGo}): destroy's sweep, or a restarted daemon, does it.
     */
    PeaProcess(MonitoredProcess process, String peaId, Runnable clean) {
        this.process = process;
        this.peaId = peaId;
        this.exit = process.exit().thenApplyAsync(code -> {
            if (!process.letGo()) clean.run();
            return code;
        }, r -> Thread.ofVirtual().name("pea-clean-" + peaId).start(r));
    }

    MonitoredProcess monitored() {
        return process;
    }

    String peaId() {
        return peaId;
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
