package dev.cloche.linux;

import dev.cloche.testkit.RootBackendExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Linux backend, on real runc as root, passes the same conformance suite as every other backend. */
class LinuxBackendConformanceIT extends LinuxConformance {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-conformance")
            .network("clcf", "10.253.12.0/24", "41200-41299").build();

    @Override
    RootBackendExtension root() {
        return ROOT;
    }
}
