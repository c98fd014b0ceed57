package dev.cloche.testkit;

import dev.cloche.api.ContainerSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;

/**
 * What every {@link ContainerBackend} must do, fakes included. A backend's test extends this and implements
 * {@link BackendUnderTest}: how to build the backend, how its processes spell the programs the suite runs, and the
 * hooks that read limits and resources from the host. The tests come in groups by role (processes, streams, limits
 * and metrics, lifecycle, networking); networking is skipped for a backend whose containers have no address.
 */
public abstract class BackendConformance implements ProcessConformance, StreamConformance, LimitConformance,
        LifecycleConformance, NetworkConformance, UnsupportedConformance {

    /** By handle, so a restored container replaces the object it was restored from. */
    private final Map<String, BackendContainer> created = new LinkedHashMap<>();

    @Override
    public BackendContainer create(ContainerSpec spec) {
        BackendContainer c = backend().create(new BackendSpec(spec));
        created.put(c.handle(), c);
        return c;
    }

    @Override
    public void adopt(BackendContainer restored) {
        created.put(restored.handle(), restored);
    }

    @AfterEach
    void destroyCreated() {
        List<RuntimeException> failures = new ArrayList<>();
        for (BackendContainer c : created.values()) {
            try {
                c.destroy();
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        created.clear();
        if (!failures.isEmpty()) {
            RuntimeException first = failures.getFirst();
            failures.stream().skip(1).forEach(first::addSuppressed);
            throw first;
        }
    }
}
