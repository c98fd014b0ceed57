package dev.cloche.linux;

/**
 * A pea's process (docs/peas.md): a {@link MonitoredProcess} like any other, whose exit is reported once the pea's
 * runtime container, cgroup and volume are gone, so a caller that saw the exit sees nothing of the pea left.
 */
final class PeaProcess extends LaterExit {
    private final MonitoredProcess process;
    private final String peaId;

    /**
     * {@code clean} removes the pea; it runs once, on a thread of its own, after the process has exited, but not when
     * the process was only let go of ({@link MonitoredProcess#letGo}): destroy's sweep, or a restarted daemon, does it.
     */
    PeaProcess(MonitoredProcess process, String peaId, Runnable clean) {
        super(process, process.exit().thenApplyAsync(code -> {
            if (!process.letGo()) clean.run();
            return code;
        }, r -> Thread.ofVirtual().name("pea-clean-" + peaId).start(r)));
        this.process = process;
        this.peaId = peaId;
    }

    MonitoredProcess monitored() {
        return process;
    }

    String peaId() {
        return peaId;
    }
}
