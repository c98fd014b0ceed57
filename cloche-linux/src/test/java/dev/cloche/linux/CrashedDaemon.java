package dev.cloche.linux;

import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;

/**
 * What a daemon's death closes for its containers' processes: our stdin writers, output readers and watches (the
 * processes run on under their monitors). A test that restarts the backend in the same JVM lets the old objects go
 * explicitly, else their descriptors keep a FIFO from ever seeing EOF and the process tmpfs busy after every
 * container is gone.
 */
final class CrashedDaemon {
    private CrashedDaemon() {}

    static void letGo(BackendContainer c) {
        for (String id : c.processIds()) {
            c.process(id).ifPresent(p -> monitored(p).close());
        }
    }

    /** The monitored process under what the backend hands out (the OOM report's wrapper, a pea's). */
    static MonitoredProcess monitored(BackendProcess p) {
        return switch (p) {
            case OomReportingProcess o -> monitored(o.inner());
            case PeaProcess pea -> pea.monitored();
            default -> (MonitoredProcess) p;
        };
    }
}
