package dev.cloche.core;

import dev.cloche.api.Capacity;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.Limits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortMapping;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.ContainerBackend;
import dev.cloche.spi.RestoredContainer;
import dev.cloche.testkit.FakeBackend;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A {@link FakeBackend} seen through the SPI's concurrency contract: every {@link ContainerBackend#create} and
 * {@link BackendContainer} call is recorded per handle while it runs, so a test can ask which calls overlapped on
 * one container, and any call can be held open at its start ({@link #hold}) to line other calls up against it.
 */
final class RecordingBackend implements ContainerBackend {
    private final FakeBackend fake = new FakeBackend();
    /** Calls in progress, by handle (a call name may appear several times). */
    private final Map<String, List<String>> inFlight = new HashMap<>();
    /**
     * "handle: a + b" for every two calls that ran at the same time on one handle, names sorted; "handle: run + run
     * of one id" when two runs with the same process id did.
     */
    private final Set<String> overlaps = new TreeSet<>();
    /** Calls started so far, by "handle: name". */
    private final Map<String, Integer> started = new HashMap<>();
    private final Map<String, Gate> gates = new ConcurrentHashMap<>();
    /** "handle/process id" of runs in progress. */
    private final Set<String> runningIds = new java.util.HashSet<>();

    /** How long every recorded call takes at least, so that calls under load really are in flight together. */
    private volatile Duration slowness = Duration.ZERO;

    void slowEveryCallBy(Duration d) {
        slowness = d;
    }

    /** Holds the next call named {@code call} (e.g. "run", "destroy") at its start until {@link Gate#open()}. */
    Gate hold(String call) {
        Gate g = new Gate();
        if (gates.putIfAbsent(call, g) != null) {
            throw new IllegalStateException("already holding " + call);
        }
        return g;
    }

    synchronized Set<String> overlaps() {
        return new TreeSet<>(overlaps);
    }

    synchronized int calls(String handle, String call) {
        return started.getOrDefault(handle + ": " + call, 0);
    }

    FakeBackend fake() {
        return fake;
    }

    /** One held call: {@link #awaitHeld()} until it arrived, then {@link #open()} to let it run. */
    static final class Gate {
        private final CountDownLatch arrived = new CountDownLatch(1);
        private final CountDownLatch open = new CountDownLatch(1);

        void awaitHeld() throws InterruptedException {
            if (!arrived.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("the held call never arrived");
            }
        }

        boolean held() {
            return arrived.getCount() == 0;
        }

        void open() {
            open.countDown();
        }

        private void pass() {
            arrived.countDown();
            try {
                if (!open.await(10, TimeUnit.SECONDS)) {
                    throw new AssertionError("a held call was never let go");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
    }

    private <T> T record(String handle, String call, Supplier<T> body) {
        synchronized (this) {
            List<String> running = inFlight.computeIfAbsent(handle, h -> new ArrayList<>());
            for (String other : running) {
                overlaps.add(handle + ": " + (other.compareTo(call) <= 0 ? other + " + " + call : call + " + " + other));
            }
            running.add(call);
            started.merge(handle + ": " + call, 1, Integer::sum);
        }
        try {
            Gate g = gates.remove(call);
            if (g != null) {
                g.pass();
            }
            if (!slowness.isZero()) {
                try {
                    Thread.sleep(slowness);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return body.get();
        } finally {
            synchronized (this) {
                inFlight.get(handle).remove(call);
            }
        }
    }

    private void recordRun(String handle, String call, Runnable body) {
        record(handle, call, () -> {
            body.run();
            return null;
        });
    }

    @Override
    public BackendContainer create(BackendSpec spec) {
        return record(spec.handle(), "create", () -> new Recorded(fake.create(spec)));
    }

    @Override
    public List<RestoredContainer> restore() {
        return fake.restore();
    }

    @Override
    public Capacity capacity() {
        return fake.capacity();
    }

    @Override
    public void close() {
        fake.close();
    }

    /** A container of the fake whose every call is recorded under its handle. */
    private final class Recorded implements BackendContainer {
        private final BackendContainer c;

        Recorded(BackendContainer c) {
            this.c = c;
        }

        @Override
        public String handle() {
            return c.handle();
        }

        @Override
        public BackendProcess run(ProcessSpec spec) {
            String key = handle() + "/" + spec.id();
            synchronized (RecordingBackend.this) {
                if (!runningIds.add(key)) {
                    overlaps.add(handle() + ": run + run of one id");
                }
            }
            try {
                return record(handle(), "run", () -> c.run(spec));
            } finally {
                synchronized (RecordingBackend.this) {
                    runningIds.remove(key);
                }
            }
        }

        @Override
        public Optional<BackendProcess> process(String processId) {
            return record(handle(), "process", () -> c.process(processId));
        }

        @Override
        public List<String> processIds() {
            return record(handle(), "processIds", c::processIds);
        }

        @Override
        public void stop(boolean kill) {
            recordRun(handle(), "stop", () -> c.stop(kill));
        }

        @Override
        public BackendInfo info() {
            return record(handle(), "info", c::info);
        }

        @Override
        public Limits limits() {
            return record(handle(), "limits", c::limits);
        }

        @Override
        public void updateLimits(Limits limits) {
            recordRun(handle(), "updateLimits", () -> c.updateLimits(limits));
        }

        @Override
        public ContainerMetrics metrics() {
            return record(handle(), "metrics", c::metrics);
        }

        @Override
        public void streamIn(StreamInSpec spec) {
            recordRun(handle(), "streamIn", () -> c.streamIn(spec));
        }

        @Override
        public InputStream streamOut(StreamOutSpec spec) {
            return record(handle(), "streamOut", () -> c.streamOut(spec));
        }

        @Override
        public PortMapping netIn(int hostPort, int containerPort) {
            return record(handle(), "netIn", () -> c.netIn(hostPort, containerPort));
        }

        @Override
        public void netOut(List<NetOutRule> rules) {
            recordRun(handle(), "netOut", () -> c.netOut(rules));
        }

        @Override
        public void destroy() {
            recordRun(handle(), "destroy", c::destroy);
        }
    }
}
