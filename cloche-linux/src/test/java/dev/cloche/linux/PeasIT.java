package dev.cloche.linux;

import dev.cloche.testkit.RootBackendExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Peas on runc. */
class PeasIT extends PeaCases {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-peas")
            .network("clpe", "10.253.44.0/24", "41800-41899").build();

    @Override
    RootBackendExtension root() {
        return ROOT;
    }
}
