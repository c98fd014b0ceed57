package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.CallContext;
import dev.cloche.api.Caller;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.Event;
import dev.cloche.api.EventFilter;
import dev.cloche.api.EventReplay;
import dev.cloche.api.EventSubscription;
import dev.cloche.api.EventType;
import dev.cloche.api.ImageRef;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.testkit.FakeBackend;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** What the core publishes, over the fake backend: each kind of event, in order, with its request id and fields. */
@Timeout(30)
class ContainerEventsTest {
    private static final Duration SOON = Duration.ofSeconds(5);
    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);

    @AfterEach
    void close() {
        core.close();
    }

    private static List<Event> drain(EventSubscription s, int n) {
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(s.next(SOON).orElseThrow(() -> new AssertionError("only " + out.size() + " events came: " + out)));
        }
        return out;
    }

    /** Runs {@code call} as a request with a known id, as the server does. */
    private static <T> T asRequest(String id, java.util.function.Supplier<T> call) {
        AtomicReference<T> out = new AtomicReference<>();
        new CallContext(id, Caller.internal("test")).run(() -> out.set(call.get()));
        return out.get();
    }

    @Test
    void aContainersLifeInOrderWithRequestIdsPropertiesAndExitStatus() {
        try (EventSubscription s = core.subscribe(EventFilter.ALL, EventReplay.NONE)) {
            Container c = asRequest("req-create", () -> core.create(ContainerSpec.withHandle("web")
                    .withProperties(Map.of("app", "shop"))));
            Process p = asRequest("req-run", () -> c.run(ProcessSpec.of("sleep").withId("p1"), ProcessIO.NONE));
            backend.killForMemory("web", "p1");
            assertThat(p.await()).isEqualTo(137);
            asRequest("req-destroy", () -> {
                core.destroy("web");
                return null;
            });

            List<Event> got = drain(s, 5);
            assertThat(got).extracting(Event::type).containsExactly(EventType.CONTAINER_CREATED,
                    EventType.PROCESS_STARTED, EventType.OOM, EventType.PROCESS_EXITED, EventType.CONTAINER_DESTROYED);
            assertThat(got).extracting(Event::handle).containsOnly("web");
            assertThat(got).extracting(Event::properties).containsOnly(Map.of("app", "shop"));
            assertThat(got).extracting(Event::requestId)
                    .containsExactly("req-create", "req-run", "-", "req-run", "req-destroy");
            assertThat(got.get(1).processId()).contains("p1");
            assertThat(got.get(3).processId()).contains("p1");
            assertThat(got.get(3).exitStatus()).hasValue(137);
            assertThat(got.get(2).details()).containsEntry("kills", "1");
            assertThat(got).extracting(Event::sequence).isSorted();
        }
    }

    @Test
    void oneExitEventPerProcessWhoeverIsAttached() {
        Container c = core.create(ContainerSpec.withHandle("h"));
        try (EventSubscription s = core.subscribe(EventFilter.handle("h").withProperty("missing", "x"), EventReplay.NONE);
             EventSubscription all = core.subscribe(EventFilter.handle("h"), EventReplay.NONE)) {
            Process p = c.run(ProcessSpec.of("sleep").withId("p"), ProcessIO.NONE);
            Process second = c.attach("p", ProcessIO.NONE);
            p.signal(dev.cloche.api.Signal.TERMINATE);
            assertThat(second.await()).isEqualTo(143);
            List<Event> got = drain(all, 2);
            assertThat(got).extracting(Event::type).containsExactly(EventType.PROCESS_STARTED, EventType.PROCESS_EXITED);
            assertThat(all.next(Duration.ofMillis(100))).isEmpty();
            assertThat(s.next(Duration.ofMillis(50))).isEmpty(); // the property filter takes none of them
        }
    }

    @Test
    void stopNetworkAndImageEvents() {
        Container c = core.create(ContainerSpec.withHandle("n"));
        try (EventSubscription s = core.subscribe(EventFilter.ALL, EventReplay.NONE)) {
            c.run(ProcessSpec.of("sleep").withId("p"), ProcessIO.NONE);
            c.netIn(8080, 80);
            c.bulkNetOut(List.of(new NetOutRule(NetOutRule.Protocol.TCP, List.of(), List.of(), Optional.empty(), false),
                    new NetOutRule(NetOutRule.Protocol.UDP, List.of(), List.of(), Optional.empty(), false)));
            c.stop(true);
            List<Event> got = drain(s, 5);
            assertThat(got).extracting(Event::type).containsExactly(EventType.PROCESS_STARTED, EventType.NET_IN,
                    EventType.NET_OUT, EventType.PROCESS_EXITED, EventType.CONTAINER_STOPPED);
            assertThat(got.get(1).details()).containsEntry("host_port", "8080").containsEntry("container_port", "80");
            assertThat(got.get(2).details()).containsEntry("rules", "2");
            assertThat(got.get(4).details()).containsEntry("kill", "true");
        }
        try (EventSubscription s = core.subscribe(EventFilter.ALL, EventReplay.NONE)) {
            core.pullImage(new ImageRef(dev.cloche.testkit.FakeImages.BUSYBOX, "user", "hunter2"), p -> { });
            Event pulled = drain(s, 1).getFirst();
            assertThat(pulled.type()).isEqualTo(EventType.IMAGE_PULLED);
            assertThat(pulled.handle()).isEmpty();
            assertThat(pulled.details()).containsKeys("image", "id");
            assertThat(pulled.toString()).doesNotContain("hunter2");
        }
    }

    @Test
    void theGraceReaperPublishesExpiryThenDestructionAsTheDaemon() {
        try (EventSubscription s = core.subscribe(EventFilter.handle("short"), EventReplay.NONE)) {
            core.create(ContainerSpec.withHandle("short").withGraceTime(Duration.ofMillis(100)));
            List<Event> got = drain(s, 3);
            assertThat(got).extracting(Event::type).containsExactly(EventType.CONTAINER_CREATED,
                    EventType.GRACE_TIME_EXPIRED, EventType.CONTAINER_DESTROYED);
            assertThat(got.subList(1, 3)).extracting(Event::requestId).containsOnly("-");
        }
    }

    @Test
    void aFailedCreatePublishesNothing() {
        try (EventSubscription s = core.subscribe(EventFilter.ALL, EventReplay.NONE)) {
            backend.failNextCreate(new IllegalStateException("boom"));
            try {
                core.create(ContainerSpec.withHandle("x"));
            } catch (RuntimeException expected) {
                // refused
            }
            assertThat(s.next(Duration.ofMillis(100))).isEmpty();
        }
    }

    @Test
    void aClosedSubscriptionIsForgotten() {
        EventSubscription s = core.subscribe(EventFilter.ALL, EventReplay.NONE);
        assertThat(core.eventSubscribers()).isEqualTo(1);
        s.close();
        assertThat(core.eventSubscribers()).isZero();
    }
}
