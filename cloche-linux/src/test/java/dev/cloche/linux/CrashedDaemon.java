package dev.cloche.linux;

import dev.cloche.spi.BackendContainer;

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
            c.process(id).ifPresent(p -> (p instanceof PeaProcess pea ? pea.monitored() : (MonitoredProcess) p).close());
        }
    }
}
