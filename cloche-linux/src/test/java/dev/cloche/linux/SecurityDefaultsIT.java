package dev.cloche.linux;

import dev.cloche.testkit.RootBackendExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Guardian's security defaults on runc. */
class SecurityDefaultsIT extends SecurityDefaults {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-security")
            .withoutNetwork().build();

    @Override
    RootBackendExtension root() {
        return ROOT;
    }
}
