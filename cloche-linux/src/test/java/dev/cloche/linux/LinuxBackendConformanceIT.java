package dev.cloche.linux;

import dev.cloche.api.ProcessSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.testkit.BackendConformance;
import dev.cloche.testkit.RootBackendExtension;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The Linux backend, on real runc as root, passes the same conformance suite as every other backend. */
class LinuxBackendConformanceIT extends BackendConformance {
    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-conformance")
            .network("clcf", "10.253.12.0/24", "41200-41299").build();

    @Override
    protected ContainerBackend backend() {
        return ROOT.backend();
    }

    @Override
    protected ProcessSpec echo(String text) {
        return ProcessSpec.of("echo", text);
    }

    @Override
    protected ProcessSpec emit(String out, String err, int code) {
        return ProcessSpec.of("sh", "-c", "echo " + out + "; echo " + err + " >&2; exit " + code);
    }

    @Override
    protected ProcessSpec sleeper() {
        return ProcessSpec.of("sleep", "1000");
    }

    @Override
    protected ProcessSpec cat() {
        return ProcessSpec.of("cat");
    }
}
