package dev.cloche.audit;

import dev.cloche.api.Process;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import java.util.concurrent.CompletableFuture;

/** A process whose signals are audited (the only call on a process that changes it). */
final class AuditedProcess implements Process {
    private final Process delegate;
    private final String handle;
    private final Auditor auditor;

    AuditedProcess(Process delegate, String handle, Auditor auditor) {
        this.delegate = delegate;
        this.handle = handle;
        this.auditor = auditor;
    }

    @Override
    public String id() {
        return delegate.id();
    }

    @Override
    public int await() {
        return delegate.await();
    }

    @Override
    public CompletableFuture<Integer> onExit() {
        return delegate.onExit();
    }

    @Override
    public void setTty(TtySpec tty) {
        delegate.setTty(tty);
    }

    @Override
    public void signal(Signal signal) {
        Auditor.Call c = Auditor.call("signal", handle).withProcess(delegate.id());
        c.detail().put("signal", signal.name());
        auditor.record(c, () -> delegate.signal(signal));
    }

    /** Detaches the caller, as the process it decorates does. */
    @Override
    public void close() {
        delegate.close();
    }
}
