package dev.cloche.linux;

import dev.cloche.testkit.RootBackendExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Guardian's security defaults on crun. */
class SecurityDefaultsCrunIT extends SecurityDefaults {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-security-crun")
            .withoutNetwork().setting("runtime", "crun").build();

    @Override
    RootBackendExtension root() {
        return ROOT;
    }
}
