package dev.cloche.daemon;

import dev.cloche.spi.BackendProvider;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.testkit.FakeBackend;
import java.util.Map;

/** The testkit's fake backend under the name {@code fake}, so the daemon's own wiring can be tested without root. */
public final class FakeBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "fake";
    }

    @Override
    public ContainerBackend create(Map<String, String> settings) {
        return new FakeBackend();
    }
}
