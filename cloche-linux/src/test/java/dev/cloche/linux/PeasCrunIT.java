package dev.cloche.linux;

import dev.cloche.testkit.RootBackendExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Peas on crun: the same cases as on runc. */
class PeasCrunIT extends PeaCases {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-peas-crun")
            .network("clpr", "10.253.48.0/24", "41900-41999").setting("runtime", "crun").build();

    @Override
    RootBackendExtension root() {
        return ROOT;
    }
}
