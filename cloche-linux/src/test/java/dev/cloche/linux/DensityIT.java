package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloche.api.ProcessSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.testkit.RootBackendExtension;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Many idle containers at once with the daemon's defaults (runc, networking on, unprivileged), on demand only:
 * {@code -Dcloche.density=N} (docs/reliability.md). Each is created, one in fifty runs a process, and all are
 * destroyed; the fixture then proves nothing is left. Before the keyring fix, N=250 failed at the 191st create
 * with runc's {@code unable to join session keyring: ... disk quota exceeded}.
 */
class DensityIT {
    private static final int COUNT = Integer.getInteger("cloche.density", 0);

    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-density")
            .network("clde", "10.247.0.0/16", "42000-42099").build();

    @Test
    void holdsManyIdleContainersWithTheDefaults() {
        assumeTrue(COUNT > 0, "set -Dcloche.density=N to run");
        List<BackendContainer> made = new ArrayList<>();
        long start = System.nanoTime();
        RuntimeException failure = null;
        try {
            for (int i = 0; i < COUNT; i++) {
                try {
                    made.add(ROOT.create("dense"));
                } catch (RuntimeException e) {
                    failure = e;
                    System.out.printf("DENSITY create %d of %d failed: %s: %s%n", i + 1, COUNT,
                            e.getClass().getSimpleName(), e.getMessage());
                    break;
                }
                if ((i + 1) % 50 == 0) {
                    assertThat(Runs.run(made.get(i), ProcessSpec.of("true")).exit()).isZero();
                    System.out.printf("DENSITY %d containers after %.1f s%n", i + 1, (System.nanoTime() - start) / 1e9);
                }
            }
            System.out.printf("DENSITY held %d containers; created in %.1f s%n", made.size(),
                    (System.nanoTime() - start) / 1e9);
        } finally {
            long d0 = System.nanoTime();
            for (BackendContainer c : made) ROOT.destroy(c);
            System.out.printf("DENSITY destroyed %d in %.1f s%n", made.size(), (System.nanoTime() - d0) / 1e9);
        }
        assertThat(failure).as("every create succeeds").isNull();
        assertThat(made).hasSize(COUNT);
    }
}
