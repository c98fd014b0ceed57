package dev.cloche.linux;

import dev.cloche.testkit.RootBackendExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Linux backend on crun passes the same conformance suite as on runc. */
class LinuxBackendCrunConformanceIT extends LinuxConformance {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-conformance-crun")
            .network("clcc", "10.253.28.0/24", "41400-41499").setting("runtime", "crun").build();

    @Override
    RootBackendExtension root() {
        return ROOT;
    }
}
