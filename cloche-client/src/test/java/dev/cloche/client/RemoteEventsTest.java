package dev.cloche.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.Event;
import dev.cloche.api.EventFilter;
import dev.cloche.api.EventReplay;
import dev.cloche.api.EventSource;
import dev.cloche.api.EventSubscription;
import dev.cloche.api.EventType;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.server.GardenServer;
import dev.cloche.testkit.FakeBackend;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Events through the real server and RemoteGardenClient, over the real core and the fake backend. */
@Timeout(60)
class RemoteEventsTest {
    private static final Duration SOON = Duration.ofSeconds(10);
    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    /** The core as the server's event source, counting the subscriptions that are open. */
    private final AtomicInteger open = new AtomicInteger();
    private final EventSource counted = (filter, replay) -> {
        EventSubscription s = core.subscribe(filter, replay);
        open.incrementAndGet();
        return new EventSubscription() {
            private boolean closed;

            @Override
            public Optional<Event> next() {
                return s.next();
            }

            @Override
            public Optional<Event> next(Duration timeout) {
                return s.next(timeout);
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    open.decrementAndGet();
                }
                s.close();
            }
        };
    };
    private GardenServer server;
    private RemoteGardenClient client;

    @BeforeEach
    void start() {
        server = GardenServer.builder(core).events(counted).tcp(new InetSocketAddress("127.0.0.1", 0)).start();
        client = RemoteGardenClient.tcp("127.0.0.1", server.tcpPort().orElseThrow());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        core.close();
    }

    private static List<Event> drain(EventSubscription s, int n) {
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(s.next(SOON).orElseThrow(() -> new AssertionError("only " + out.size() + " events came: " + out)));
        }
        return out;
    }

    private static void awaitZero(AtomicInteger n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (n.get() != 0 && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(n.get()).as("open subscriptions").isZero();
    }

    @Test
    void aCreateRunOomExitDestroyArriveInOrderWithTheServersRequestIds() {
        try (EventSubscription s = client.subscribe(EventFilter.handle("web"), EventReplay.NONE)) {
            Container c = client.create(ContainerSpec.withHandle("web").withProperties(Map.of("app", "shop")));
            client.create(ContainerSpec.withHandle("other"));
            Process p = c.run(ProcessSpec.of("sleep").withId("p1"), ProcessIO.NONE);
            backend.killForMemory("web", "p1");
            assertThat(p.await()).isEqualTo(137);
            client.destroy("web");

            List<Event> got = drain(s, 5);
            assertThat(got).extracting(Event::type).containsExactly(EventType.CONTAINER_CREATED,
                    EventType.PROCESS_STARTED, EventType.OOM, EventType.PROCESS_EXITED, EventType.CONTAINER_DESTROYED);
            assertThat(got).extracting(Event::properties).containsOnly(Map.of("app", "shop"));
            assertThat(got.get(0).requestId()).matches("[0-9a-f]{16}");
            assertThat(got.get(1).requestId()).matches("[0-9a-f]{16}").isNotEqualTo(got.get(0).requestId());
            assertThat(got.get(3).requestId()).isEqualTo(got.get(1).requestId());
            assertThat(got.get(2).requestId()).isEqualTo("-");
            assertThat(got.get(3).exitStatus()).hasValue(137);
            assertThat(s.next(Duration.ofMillis(100))).isEmpty(); // "other" is filtered out
        }
    }

    @Test
    void propertyFiltersAndReplayTravelInTheQuery() {
        client.create(ContainerSpec.withHandle("a").withProperties(Map.of("tier", "web", "app", "x")));
        client.create(ContainerSpec.withHandle("b").withProperties(Map.of("tier", "db", "app", "x")));
        client.create(ContainerSpec.withHandle("c").withProperties(Map.of("tier", "db")));
        try (EventSubscription s = client.subscribe(EventFilter.ALL.withProperty("tier", "db").withProperty("app", "x"),
                EventReplay.afterSequence(0))) {
            assertThat(drain(s, 1)).extracting(Event::handle).containsExactly("b");
            assertThat(s.next(Duration.ofMillis(100))).isEmpty();
        }
    }

    @Test
    void aClientThatGoesAwayEndsItsSubscriptionOnTheServer() throws Exception {
        EventSubscription s = client.subscribe(EventFilter.ALL, EventReplay.NONE);
        client.create(ContainerSpec.withHandle("x"));
        assertThat(drain(s, 1)).extracting(Event::type).containsExactly(EventType.CONTAINER_CREATED);
        assertThat(open.get()).isEqualTo(1);
        s.close(); // no event flows after this: the server must notice the connection closing by itself
        awaitZero(open);
        assertThat(s.next()).isEmpty();
    }

    @Test
    void aClientThatStopsReadingIsCutWithALostRecordAndCanResume() throws Exception {
        String big = "v".repeat(8 * 1024); // large events fill the socket buffers sooner
        Container c = client.create(ContainerSpec.withHandle("big").withProperties(Map.of("pad", big)));
        EventSubscription s = client.subscribe(EventFilter.handle("big"), EventReplay.NONE);
        int published = 4000; // fewer than the ring holds (4096), so a resume finds them all
        long started = System.nanoTime();
        for (int i = 0; i < published; i++) {
            core.lookup("big").netIn(1000 + i % 1000, 80); // in-process: only the stream is slow
        }
        // publishing did not wait for the reader who is not reading
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(20);
        List<Event> got = new ArrayList<>();
        for (Optional<Event> e = s.next(SOON); e.isPresent(); e = s.next(SOON)) {
            got.add(e.get());
        }
        assertThat(got.size()).isLessThan(published + 1);
        Event lost = got.getLast();
        assertThat(lost.type()).isEqualTo(EventType.LOST);
        assertThat(got.subList(0, got.size() - 1)).allMatch(e -> e.type() == EventType.NET_IN);
        assertThat(lost.sequence()).isEqualTo(got.get(got.size() - 2).sequence());
        awaitZero(open); // the server forgot the cut subscriber once its stream ended
        s.close();

        // resuming after the lost record's sequence replays the rest from the ring
        try (EventSubscription again = client.subscribe(EventFilter.handle("big"),
                EventReplay.afterSequence(lost.sequence()))) {
            Event next = again.next(SOON).orElseThrow();
            assertThat(next.sequence()).isEqualTo(Long.parseLong(lost.details().get("from")));
        }
        c.info();
    }

    @Test
    void aBadQueryIsRefusedBeforeTheStream() {
        assertThatThrownBy(() -> client.subscribe(new EventFilter(Optional.of(""), Map.of()), EventReplay.NONE))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("handle");
        assertThat(open.get()).isZero();
    }

    @Test
    void aServerWithoutEventsSaysSo() {
        try (GardenServer plain = GardenServer.builder(core).tcp(new InetSocketAddress("127.0.0.1", 0)).start()) {
            RemoteGardenClient other = RemoteGardenClient.tcp("127.0.0.1", plain.tcpPort().orElseThrow());
            assertThatThrownBy(() -> other.subscribe(EventFilter.ALL, EventReplay.NONE))
                    .isInstanceOf(InvalidRequestException.class).hasMessageContaining("serves no events");
        }
    }
}
