package dev.cloche.testkit;

import dev.cloche.api.ProcessSpec;
import dev.cloche.spi.ContainerBackend;

/** The fake passes the same suite as real backends, so tests built on it mean something. */
class FakeBackendConformanceTest extends BackendConformance {
    private final FakeBackend backend = new FakeBackend();

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
        return ProcessSpec.of("emit", out + "\n", err + "\n", Integer.toString(code));
    }

    @Override
    protected ProcessSpec sleeper() {
        return ProcessSpec.of("sleep");
    }

    @Override
    protected ProcessSpec cat() {
        return ProcessSpec.of("cat");
    }
}
