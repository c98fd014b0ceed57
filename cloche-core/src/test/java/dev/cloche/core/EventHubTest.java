package dev.cloche.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Event;
import dev.cloche.api.EventFilter;
import dev.cloche.api.EventReplay;
import dev.cloche.api.EventSubscription;
import dev.cloche.api.EventType;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The hub alone: order, filters, replay from the ring, and what a slow subscriber gets. */
@Timeout(30)
class EventHubTest {
    private static final Duration SOON = Duration.ofSeconds(5);
    /** A clock that moves one second per reading, so times are distinct and known. */
    private final AtomicLong seconds = new AtomicLong();
    private final InstantSource clock = () -> Instant.ofEpochSecond(1_000 + seconds.getAndIncrement());

    private static Event publish(EventHub hub, EventType type, String handle, Map<String, String> properties) {
        return hub.publish(type, handle, "r-" + handle, properties, Optional.empty(), OptionalInt.empty(), Map.of());
    }

    private static List<Event> drain(EventSubscription s, int n) {
        List<Event> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(s.next(SOON).orElseThrow(() -> new AssertionError("event " + out.size() + " did not come")));
        }
        return out;
    }

    @Test
    void everySubscriberSeesEventsInPublicationOrderWithIncreasingSequences() throws Exception {
        EventHub hub = new EventHub(64, 64, clock);
        try (EventSubscription a = hub.subscribe(EventFilter.ALL, EventReplay.NONE);
             EventSubscription b = hub.subscribe(EventFilter.ALL, EventReplay.NONE)) {
            List<Thread> publishers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                String h = "h" + t;
                publishers.add(Thread.ofVirtual().start(() -> {
                    for (int i = 0; i < 10; i++) {
                        publish(hub, EventType.PROCESS_STARTED, h, Map.of());
                    }
                }));
            }
            for (Thread t : publishers) {
                t.join();
            }
            List<Event> seenByA = drain(a, 40);
            List<Event> seenByB = drain(b, 40);
            assertThat(seenByA).extracting(Event::sequence).containsExactlyElementsOf(
                    java.util.stream.LongStream.rangeClosed(1, 40).boxed().toList());
            assertThat(seenByB).isEqualTo(seenByA);
            assertThat(a.next(Duration.ofMillis(50))).isEmpty();
        }
    }

    @Test
    void filtersByHandleAndByEveryProperty() {
        EventHub hub = new EventHub(64, 64, clock);
        try (EventSubscription byHandle = hub.subscribe(EventFilter.handle("web"), EventReplay.NONE);
             EventSubscription byProps = hub.subscribe(new EventFilter(Optional.empty(),
                     Map.of("app", "shop", "tier", "db")), EventReplay.NONE)) {
            publish(hub, EventType.CONTAINER_CREATED, "web", Map.of("app", "shop", "tier", "web"));
            publish(hub, EventType.CONTAINER_CREATED, "db", Map.of("app", "shop", "tier", "db"));
            publish(hub, EventType.CONTAINER_CREATED, "other", Map.of("tier", "db"));
            publish(hub, EventType.IMAGE_PULLED, "", Map.of());
            publish(hub, EventType.CONTAINER_DESTROYED, "web", Map.of());

            assertThat(drain(byHandle, 2)).extracting(Event::type)
                    .containsExactly(EventType.CONTAINER_CREATED, EventType.CONTAINER_DESTROYED);
            assertThat(byHandle.next(Duration.ofMillis(50))).isEmpty();
            assertThat(drain(byProps, 1)).extracting(Event::handle).containsExactly("db");
            assertThat(byProps.next(Duration.ofMillis(50))).isEmpty();
        }
    }

    @Test
    void replaysFromTheRingAfterASequenceThenFollowsLive() {
        EventHub hub = new EventHub(64, 64, clock);
        for (int i = 1; i <= 5; i++) {
            publish(hub, EventType.PROCESS_STARTED, i % 2 == 0 ? "even" : "odd", Map.of());
        }
        try (EventSubscription s = hub.subscribe(EventFilter.handle("odd"), EventReplay.afterSequence(1))) {
            publish(hub, EventType.PROCESS_EXITED, "odd", Map.of());
            assertThat(drain(s, 3)).extracting(Event::sequence).containsExactly(3L, 5L, 6L);
        }
        try (EventSubscription all = hub.subscribe(EventFilter.ALL, EventReplay.afterSequence(0))) {
            assertThat(drain(all, 6)).extracting(Event::sequence).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        }
    }

    @Test
    void replaysFromATime() {
        EventHub hub = new EventHub(64, 64, clock);
        Event first = publish(hub, EventType.CONTAINER_CREATED, "a", Map.of());
        Event second = publish(hub, EventType.CONTAINER_CREATED, "b", Map.of());
        assertThat(second.time()).isAfter(first.time());
        try (EventSubscription s = hub.subscribe(EventFilter.ALL, EventReplay.fromTime(second.time()))) {
            assertThat(drain(s, 1)).extracting(Event::handle).containsExactly("b");
            assertThat(s.next(Duration.ofMillis(50))).isEmpty();
        }
    }

    @Test
    void aReplayOlderThanTheRingStartsWithALostRecordNamingTheGap() {
        EventHub hub = new EventHub(3, 64, clock);
        for (int i = 0; i < 10; i++) {
            publish(hub, EventType.PROCESS_STARTED, "h", Map.of());
        }
        try (EventSubscription s = hub.subscribe(EventFilter.ALL, EventReplay.afterSequence(2))) {
            List<Event> got = drain(s, 4);
            assertThat(got.getFirst().type()).isEqualTo(EventType.LOST);
            assertThat(got.getFirst().sequence()).isEqualTo(2);
            assertThat(got.getFirst().details()).containsEntry("from", "3").containsEntry("to", "7");
            assertThat(got.subList(1, 4)).extracting(Event::sequence).containsExactly(8L, 9L, 10L);
        }
        // asking from a time before the ring's oldest event: some may be missing, say so
        try (EventSubscription s = hub.subscribe(EventFilter.ALL, EventReplay.fromTime(Instant.EPOCH))) {
            assertThat(drain(s, 1).getFirst().type()).isEqualTo(EventType.LOST);
        }
        // a replay the ring still covers has no lost record
        try (EventSubscription s = hub.subscribe(EventFilter.ALL, EventReplay.afterSequence(8))) {
            assertThat(drain(s, 2)).extracting(Event::sequence).containsExactly(9L, 10L);
        }
    }

    @Test
    void aSlowSubscriberIsCutWithAFinalLostRecordAndPublishingNeverWaits() {
        EventHub hub = new EventHub(100, 4, clock);
        try (EventSubscription slow = hub.subscribe(EventFilter.ALL, EventReplay.NONE);
             EventSubscription fast = hub.subscribe(EventFilter.ALL, EventReplay.NONE)) {
            List<Event> fastSaw = new ArrayList<>();
            long started = System.nanoTime();
            for (int i = 0; i < 10; i++) {
                publish(hub, EventType.PROCESS_STARTED, "h", Map.of());
                fastSaw.add(fast.next(SOON).orElseThrow());
            }
            assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).isLessThan(5);
            assertThat(fastSaw).extracting(Event::sequence).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
            assertThat(hub.subscribers()).isEqualTo(1); // the slow one is forgotten at once

            // the slow one gets what it had queued, then the lost record, then the end
            List<Event> slowSaw = drain(slow, 5);
            assertThat(slowSaw.subList(0, 4)).extracting(Event::sequence).containsExactly(1L, 2L, 3L, 4L);
            Event lost = slowSaw.get(4);
            assertThat(lost.type()).isEqualTo(EventType.LOST);
            assertThat(lost.sequence()).isEqualTo(4);
            assertThat(lost.details()).containsEntry("from", "5").doesNotContainKey("to");
            assertThat(slow.next()).isEmpty();

            // resuming from the lost record's sequence replays what was dropped
            try (EventSubscription again = hub.subscribe(EventFilter.ALL, EventReplay.afterSequence(lost.sequence()))) {
                assertThat(drain(again, 6)).extracting(Event::sequence).containsExactly(5L, 6L, 7L, 8L, 9L, 10L);
            }
        }
    }

    @Test
    void closingWakesAWaitingReaderAndForgetsTheSubscription() throws Exception {
        EventHub hub = new EventHub(8, 8, clock);
        EventSubscription s = hub.subscribe(EventFilter.ALL, EventReplay.NONE);
        CompletableFuture<Optional<Event>> waiting = CompletableFuture.supplyAsync(s::next);
        Thread.sleep(100);
        assertThat(waiting).isNotDone();
        s.close();
        assertThat(waiting.get(5, TimeUnit.SECONDS)).isEmpty();
        assertThat(hub.subscribers()).isZero();
        publish(hub, EventType.CONTAINER_CREATED, "h", Map.of()); // nobody to deliver to, nothing fails
        assertThat(s.next()).isEmpty();
    }
}
