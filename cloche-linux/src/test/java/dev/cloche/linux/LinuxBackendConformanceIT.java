package dev.cloche.linux;

import dev.cloche.api.ProcessSpec;
import dev.cloche.spi.BackendProvider;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.testkit.BackendConformance;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The Linux backend, on real runc as root, passes the same conformance suite as every other backend. */
class LinuxBackendConformanceIT extends BackendConformance {
    private static ContainerBackend backend;
    private static Path depot;

    @BeforeAll
    static void startBackend() throws IOException {
        depot = Files.createTempDirectory("cloche-conformance-");
        BackendProvider provider = ServiceLoader.load(BackendProvider.class).stream().map(ServiceLoader.Provider::get)
                .filter(p -> p.name().equals("linux")).findFirst().orElseThrow();
        backend = provider.create(Map.ofEntries(Map.entry("networkPool", "10.253.12.0/24"), Map.entry("networkPrefix", "clcf"),
                Map.entry("portPool", "41200-41299"), Map.entry(
"depot", depot.toString()),
                Map.entry("defaultRootfs", System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs")),
                Map.entry("initBinary", System.getProperty("cloche.init", "/var/lib/cloche/bin/cloche-init")),
                Map.entry("runtimeRoot", depot.resolve("runtime").toString()),
                Map.entry("cgroupParent", "cloche-conformance")));
    }

    @AfterAll
    static void stopBackend() {
        if (backend != null) {
            backend.close();
        }
        // Never walk into a leaked mount (it could be a read-write bind of host data): fail loudly instead.
        String mounts;
        try {
            mounts = Files.readString(Path.of("/proc/self/mounts"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (mounts.contains(depot.toString())) {
            throw new AssertionError("mounts left under " + depot + " after every container was destroyed:\n" + mounts);
        }
        try (var walk = Files.walk(depot)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    protected ContainerBackend backend() {
        return backend;
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
