package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** OOM kills become reports: a baseline first, then each new kill once, before the exit it caused completes. */
class OomWatchTest {
    private final AtomicLong kernel = new AtomicLong();
    private final List<String> reports = new ArrayList<>();
    private final OomWatch watch = new OomWatch("web", kernel::get, () -> (handle, kills) -> reports.add(handle + ":" + kills));

    @Test
    void killsBeforeTheBaselineAreNotReportedNewOnesOnce() {
        kernel.set(2); // e.g. kills from before a daemon restart
        watch.prime();
        watch.check();
        assertThat(reports).isEmpty();
        kernel.set(3);
        watch.check();
        watch.check();
        kernel.set(5);
        watch.check();
        assertThat(reports).containsExactly("web:1", "web:2");
        kernel.set(0); // the cgroup is gone: nothing to report, nothing forgotten
        watch.check();
        assertThat(reports).hasSize(2);
    }

    @Test
    void theKillIsReportedBeforeTheExitCompletesForItsWaiters() {
        watch.prime();
        CompletableFuture<Integer> raw = new CompletableFuture<>();
        FakeExit process = new FakeExit(raw);
        OomReportingProcess reporting = new OomReportingProcess(process, watch);
        List<String> order = new ArrayList<>();
        reporting.exit().thenAccept(code -> order.add("exit " + code + " after " + reports));
        kernel.set(1);
        raw.complete(137);
        assertThat(order).containsExactly("exit 137 after [web:1]");
    }

    /** Only the exit matters here. */
    private record FakeExit(CompletableFuture<Integer> exit) implements dev.cloche.spi.BackendProcess {
        public String id() { return "p"; }
        public java.io.OutputStream stdin() { return java.io.OutputStream.nullOutputStream(); }
        public java.io.InputStream openStdout() { return java.io.InputStream.nullInputStream(); }
        public java.io.InputStream openStderr() { return java.io.InputStream.nullInputStream(); }
        public void signal(dev.cloche.api.Signal signal) { }
        public void resize(dev.cloche.api.TtySpec tty) { }
    }
}
