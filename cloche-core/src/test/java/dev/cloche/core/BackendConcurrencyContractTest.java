package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the core guarantees a backend about concurrent calls (the contract in {@code ContainerBackend} and
 * {@code BackendContainer}), proven against a backend that records which calls overlapped on one container.
 */
class BackendConcurrencyContractTest {
    private final RecordingBackend backend = new RecordingBackend();
    private final ContainerManager manager = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private final ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor();

    @AfterEach
    void close() {
        threads.shutdownNow();
        manager.close();
    }

    private <T> Future<T> async(Callable<T> call) {
        return threads.submit(call);
    }

    private static <T> T done(Future<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aProcessIdIsStartedOnceAtATimeAndTheBackendNeverSeesADuplicate() throws Exception {
        Container c = manager.create(ContainerSpec.withHandle("ids"));
        RecordingBackend.Gate run = backend.hold("run");
        Future<Process> first = async(() -> c.run(ProcessSpec.of("sleep").withId("same"), ProcessIO.NONE));
        run.awaitHeld();
        // the first start is inside the backend and its process not registered yet: the core still refuses
        assertThatThrownBy(() -> c.run(ProcessSpec.of("sleep").withId("same"), ProcessIO.NONE))
                .isInstanceOf(AlreadyExistsException.class).hasMessage("process id 'same' already in use");
        assertThat(backend.calls("ids", "run")).isEqualTo(1);
        run.open();
        Process p = done(first);

        assertThatThrownBy(() -> c.run(ProcessSpec.of("sleep").withId("same"), ProcessIO.NONE))
                .isInstanceOf(AlreadyExistsException.class).hasMessage("process id 'same' already in use");
        p.signal(Signal.KILL);
        assertThat(p.await()).isEqualTo(137);
        // an exited process gives its id up: the backend replaces it
        assertThat(c.run(ProcessSpec.of("echo", "again").withId("same"), ProcessIO.NONE).await()).isZero();
        assertThat(backend.calls("ids", "run")).isEqualTo(2);
    }
}
