package dev.cloche.testkit;

import dev.cloche.api.Limits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.ContainerBackend;
import java.util.List;
import java.util.Optional;

/**
 * The fake passes the same suite as real backends, so tests built on it mean something. It has no network (those
 * tests are skipped) and keeps nothing across a restart (that test is skipped).
 */
class FakeBackendConformanceTest extends BackendConformance {
    private final FakeBackend backend = new FakeBackend();

    @Override
    public ContainerBackend backend() {
        return backend;
    }

    @Override
    public ProcessSpec echo(String text) {
        return ProcessSpec.of("echo", text);
    }

    @Override
    public ProcessSpec emit(String out, String err, int code) {
        return ProcessSpec.of("emit", out + "\n", err + "\n", Integer.toString(code));
    }

    @Override
    public ProcessSpec sleeper() {
        return ProcessSpec.of("sleep");
    }

    @Override
    public ProcessSpec busy() {
        return ProcessSpec.of("busy");
    }

    /** Never run: the fake's containers have no address, so the networking tests are skipped. */
    @Override
    public ProcessSpec serveHttp(int port, String body) {
        return ProcessSpec.of("sleep");
    }

    @Override
    public ProcessSpec fetch(String url) {
        return ProcessSpec.of("emit", "", "no network\n", "1");
    }

    /** The fake is its own kernel: what it applies is what it holds. */
    @Override
    public Limits appliedLimits(BackendContainer c) {
        return backend.container(c.handle()).limits();
    }

    @Override
    public List<String> resourcesOf(String handle, BackendInfo whileLive) {
        return backend.liveHandles().contains(handle) ? List.of("fake container " + handle) : List.of();
    }

    @Override
    public Optional<ContainerBackend> restart() {
        return Optional.empty();
    }
}
