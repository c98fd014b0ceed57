package dev.cloche.linux;

import dev.cloche.testkit.RootBackendExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The runtime CVE regression tests on runc. */
class RuntimeCvesIT extends RuntimeCves {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-cves")
            .withoutNetwork().build();

    @Override
    RootBackendExtension root() {
        return ROOT;
    }
}
