package dev.cloche.linux;

import dev.cloche.spi.BackendProcess;

/** A process whose exit completes only after the container's OOM kills were checked ({@link OomWatch}). */
final class OomReportingProcess extends LaterExit {
    private final BackendProcess process;

    OomReportingProcess(BackendProcess process, OomWatch oom) {
        super(process, process.exit().thenApply(code -> {
            oom.check();
            return code;
        }));
        this.process = process;
    }

    BackendProcess inner() {
        return process;
    }
}
