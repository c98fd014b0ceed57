package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.ConflictException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.GardenException;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import java.io.ByteArrayInputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What the core guarantees a backend about concurrent calls (the contract in {@code ContainerBackend} and
 * {@code BackendContainer}), proven against a backend that records which calls overlapped on one container: destroy
 * runs alone, updateLimits never overlaps itself, a process id is never started twice at once, a create is alone on
 * its handle, and everything else does run concurrently (so a backend must be ready for it).
 */
class BackendConcurrencyContractTest {
    /** Long enough for a call that is not blocked to reach the backend. */
    private static final Duration SETTLE = Duration.ofMillis(300);

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

    private static void settle() throws InterruptedException {
        Thread.sleep(SETTLE.toMillis());
    }

    private static StreamInSpec emptyTar() {
        return new StreamInSpec("/tmp", "", new ByteArrayInputStream(new byte[1024]));
    }

    @Test
    void destroyWaitsForTheCallsInProgressAndNoCallStartsWhileItRuns() throws Exception {
        Container c = manager.create(ContainerSpec.withHandle("d"));
        RecordingBackend.Gate streamIn = backend.hold("streamIn");
        Future<?> streaming = async(() -> {
            c.streamIn(emptyTar());
            return null;
        });
        streamIn.awaitHeld();
        RecordingBackend.Gate destroy = backend.hold("destroy");
        Future<?> destroying = async(() -> {
            c.destroy();
            return null;
        });
        settle();
        assertThat(destroy.held()).as("destroy reached the backend while a stream in ran").isFalse();

        streamIn.open();
        done(streaming);
        destroy.awaitHeld();
        Future<?> info = async(c::info);
        Future<?> run = async(() -> c.run(ProcessSpec.of("echo"), ProcessIO.NONE));
        settle();
        assertThat(backend.calls("d", "info") + backend.calls("d", "run") + backend.calls("d", "process")).isZero();

        destroy.open();
        done(destroying);
        assertThatThrownBy(() -> done(info)).cause().isInstanceOf(ContainerNotFoundException.class);
        assertThatThrownBy(() -> done(run)).cause().isInstanceOf(ContainerNotFoundException.class);
        assertThat(backend.calls("d", "info")).isZero();
        assertThat(backend.overlaps()).noneMatch(o -> o.contains("destroy"));
    }

    @Test
    void twoDestroysNeverOverlap() throws Exception {
        Container c = manager.create(ContainerSpec.withHandle("dd"));
        RecordingBackend.Gate destroy = backend.hold("destroy");
        Future<?> first = async(() -> {
            c.destroy();
            return null;
        });
        destroy.awaitHeld();
        assertThatThrownBy(c::destroy).isInstanceOf(ConflictException.class)
                .hasMessage("container already being destroyed: dd");
        assertThatThrownBy(() -> manager.destroy("dd")).isInstanceOf(ContainerNotFoundException.class); // no longer listed
        destroy.open();
        done(first);
        assertThat(backend.calls("dd", "destroy")).isEqualTo(1);
    }

    @Test
    void everyOtherCallRunsConcurrentlyEvenOnOneContainer() throws Exception {
        Container c = manager.create(ContainerSpec.withHandle("all"));
        RecordingBackend.Gate run = backend.hold("run");
        Future<Process> held = async(() -> c.run(ProcessSpec.of("sleep").withId("held"), ProcessIO.NONE));
        run.awaitHeld();
        // while one run is inside the backend, all of these reach it and return
        assertThat(c.run(ProcessSpec.of("echo").withId("other"), ProcessIO.NONE).await()).isZero();
        c.streamIn(emptyTar());
        c.info();
        c.metrics();
        c.currentMemoryLimits();
        c.netIn(0, 8080);
        c.setProperty("k", "v");
        manager.commit("all", manager.version("all"), tx -> tx.updateLimits(old -> old.withMemory(new MemoryLimits(64 << 20))));
        run.open();
        done(held).signal(Signal.KILL);
        // and a run starts while a stop is in progress
        RecordingBackend.Gate stop = backend.hold("stop");
        Future<?> stopping = async(() -> {
            c.stop(false);
            return null;
        });
        stop.awaitHeld();
        assertThat(c.run(ProcessSpec.of("echo").withId("during-stop"), ProcessIO.NONE).await()).isZero();
        stop.open();
        done(stopping);

        assertThat(backend.overlaps()).contains("all: run + run", "all: run + streamIn", "all: info + run",
                "all: metrics + run", "all: limits + run", "all: netIn + run", "all: run + updateLimits", "all: run + stop");
        assertThat(backend.overlaps()).noneMatch(o -> o.contains("destroy") || o.contains("of one id"));
    }

    @Test
    void updateLimitsRunsInsideSerialisedCommitsButLimitsCanBeReadMeanwhile() throws Exception {
        Container c = manager.create(ContainerSpec.withHandle("u"));
        RecordingBackend.Gate update = backend.hold("updateLimits");
        Future<Long> first = async(() -> manager.commit("u", 1,
                tx -> tx.updateLimits(old -> old.withMemory(new MemoryLimits(64 << 20)))));
        update.awaitHeld();
        Future<Long> second = async(() -> manager.commit("u", 1,
                tx -> tx.updateLimits(old -> old.withCpu(new CpuLimits(0, 512)))));
        Future<?> property = async(() -> {
            c.setProperty("p", "1");
            return null;
        });
        settle();
        assertThat(second).isNotDone();
        assertThat(property).isNotDone();
        assertThat(c.currentMemoryLimits().limitInBytes()).isZero(); // a read is not held up by the commit

        update.open();
        assertThat(done(first)).isEqualTo(2);
        done(property);
        assertThatThrownBy(() -> done(second)).cause().isInstanceOf(ConflictException.class);
        assertThat(backend.calls("u", "updateLimits")).isEqualTo(1);
        assertThat(backend.overlaps()).contains("u: limits + updateLimits").doesNotContain("u: updateLimits + updateLimits");
    }

    @Test
    void aCreateIsAloneOnItsHandle() throws Exception {
        RecordingBackend.Gate create = backend.hold("create");
        Future<Container> creating = async(() -> manager.create(ContainerSpec.withHandle("c")));
        create.awaitHeld();
        assertThatThrownBy(() -> manager.create(ContainerSpec.withHandle("c")))
                .isInstanceOf(AlreadyExistsException.class).hasMessage("Handle 'c' already in use");
        assertThatThrownBy(() -> manager.lookup("c")).isInstanceOf(ContainerNotFoundException.class);
        assertThatThrownBy(() -> manager.destroy("c")).isInstanceOf(ContainerNotFoundException.class);
        assertThat(manager.bulkInfo(List.of("c")).get("c").error()).get().isInstanceOf(ContainerNotFoundException.class);
        assertThat(manager.containers(Map.of())).isEmpty();
        // other handles are created meanwhile
        manager.create(ContainerSpec.withHandle("other"));

        create.open();
        assertThat(done(creating).info().state()).isEqualTo("active");
        assertThat(backend.calls("c", "create")).isEqualTo(1);
        assertThat(backend.overlaps()).noneMatch(o -> o.startsWith("c: "));
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

    /** Many callers, every kind of call, then a destroy in the middle of them: the exclusions hold throughout. */
    @Test
    void underLoadDestroyStaysAloneAndNoIdOrLimitUpdateIsDoubled() throws Exception {
        Container c = manager.create(ContainerSpec.withHandle("load"));
        backend.slowEveryCallBy(Duration.ofMillis(1));
        int callers = 8;
        CountDownLatch warm = new CountDownLatch(callers * 30);
        AtomicBoolean destroyed = new AtomicBoolean();
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < callers; t++) {
            fs.add(async(() -> {
                ThreadLocalRandom r = ThreadLocalRandom.current();
                while (!destroyed.get() || warm.getCount() > 0) {
                    try {
                        switch (r.nextInt(8)) {
                            case 0 -> c.run(ProcessSpec.of("echo").withId("id-" + r.nextInt(3)), ProcessIO.NONE).close();
                            case 1 -> c.streamIn(emptyTar());
                            case 2 -> c.info();
                            case 3 -> c.metrics();
                            case 4 -> c.currentCpuLimits();
                            case 5 -> c.setProperty("k" + r.nextInt(4), "v");
                            case 6 -> manager.commit("load", manager.version("load"),
                                    tx -> tx.updateLimits(old -> old.withCpu(new CpuLimits(0, 100 + r.nextInt(100)))));
                            default -> c.netIn(0, 8080);
                        }
                    } catch (GardenException expected) {
                        // AlreadyExists (a live id), Conflict (a stale version), NotFound (after the destroy)
                    }
                    warm.countDown();
                }
                return null;
            }));
        }
        assertThat(warm.await(20, TimeUnit.SECONDS)).isTrue();
        c.destroy();
        destroyed.set(true);
        for (Future<?> f : fs) {
            try {
                done(f);
            } catch (ExecutionException e) {
                throw new AssertionError(e.getCause());
            }
        }
        assertThat(backend.calls("load", "destroy")).isEqualTo(1);
        assertThat(backend.overlaps()).as("the load did overlap calls").contains("load: info + run");
        assertThat(backend.overlaps()).noneMatch(o -> o.contains("destroy") || o.contains("of one id")
                || o.equals("load: updateLimits + updateLimits"));
    }
}
