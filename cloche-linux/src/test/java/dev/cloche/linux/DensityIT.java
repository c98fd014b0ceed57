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
    /**
     * Creates stop when this is spent (0 = never): the POM's default, 9, leaves the destroys room within failsafe's
     * 900 s fork timeout, which kills the fork, and leaves the containers behind, once spent.
     */
    private static final long BUDGET_MINUTES = Long.getLong("cloche.density.minutes", 0);

    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-density")
            .network("clde", "10.247.0.0/16", "42000-42099").build();

    @Test
    void holdsManyIdleContainersWithTheDefaults() {
        assumeTrue(COUNT > 0, "set -Dcloche.density=N to run");
        List<BackendContainer> made = new ArrayList<>();
        long start = System.nanoTime();
        long availableBefore = memAvailableKib();
        RuntimeException failure = null;
        boolean budgetSpent = false;
        try {
            for (int i = 0; i < COUNT; i++) {
                if (BUDGET_MINUTES > 0 && System.nanoTime() - start > BUDGET_MINUTES * 60_000_000_000L) {
                    budgetSpent = true;
                    System.out.printf("DENSITY budget of %d min spent after %d containers%n", BUDGET_MINUTES, i);
                    break;
                }
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
            System.out.printf("DENSITY held %d containers; created in %.1f s; host memory %.0f KiB per container%n",
                    made.size(), (System.nanoTime() - start) / 1e9,
                    made.isEmpty() ? 0.0 : (availableBefore - memAvailableKib()) / (double) made.size());
        } finally {
            long d0 = System.nanoTime();
            for (BackendContainer c : made) ROOT.destroy(c);
            System.out.printf("DENSITY destroyed %d in %.1f s%n", made.size(), (System.nanoTime() - d0) / 1e9);
        }
        assertThat(failure).as("every create succeeds").isNull();
        if (!budgetSpent) assertThat(made).hasSize(COUNT);
    }

    private static long memAvailableKib() {
        try {
            return java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/meminfo")).stream()
                    .filter(l -> l.startsWith("MemAvailable:")).mapToLong(l -> Long.parseLong(l.replaceAll("\\D", "")))
                    .findFirst().orElse(0);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
