package dev.cloche.core;

import dev.cloche.api.Event;
import dev.cloche.api.EventFilter;
import dev.cloche.api.EventReplay;
import dev.cloche.api.EventSource;
import dev.cloche.api.EventSubscription;
import dev.cloche.api.EventType;
import java.time.Duration;
import java.time.InstantSource;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The daemon's events: numbers each published event, keeps the last {@code ringSize} for replay and hands each to
 * every subscriber whose filter takes it. Publishing never waits for a subscriber: each has a queue of
 * {@code queueSize} events (plus what its replay put there), and one whose queue is full when an event arrives is
 * cut: it keeps what was queued, gets a final {@link EventType#LOST} record and ends. Its reader can subscribe again
 * with {@code since} = that record's sequence to replay what it missed while the ring still holds it.
 */
final class EventHub implements EventSource {
    static final int RING_SIZE = 4096;
    static final int QUEUE_SIZE = 1024;

    private final int ringSize;
    private final int queueSize;
    private final InstantSource clock;
    /** Guards the ring, the sequence and the subscriber list: one order of events for everybody. */
    private final ReentrantLock lock = new ReentrantLock();
    private final ArrayDeque<Event> ring = new ArrayDeque<>();
    private final List<Subscription> subscribers = new ArrayList<>();
    private long lastSequence;

    EventHub(int ringSize, int queueSize, InstantSource clock) {
        if (ringSize < 1 || queueSize < 1) {
            throw new IllegalArgumentException("ring and queue sizes must be positive");
        }
        this.ringSize = ringSize;
        this.queueSize = queueSize;
        this.clock = clock;
    }

    static EventHub standard() {
        return new EventHub(RING_SIZE, QUEUE_SIZE, InstantSource.system());
    }

    /** Numbers, records and delivers one event; never blocks on a subscriber. */
    Event publish(EventType type, String handle, String requestId, Map<String, String> properties,
                  Optional<String> processId, OptionalInt exitStatus, Map<String, String> details) {
        lock.lock();
        try {
            Event e = new Event(++lastSequence, clock.instant(), type, handle, requestId, properties, processId,
                    exitStatus, details);
            if (ring.size() == ringSize) {
                ring.removeFirst();
            }
            ring.addLast(e);
            subscribers.removeIf(s -> !s.offer(e));
            return e;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public EventSubscription subscribe(EventFilter filter, EventReplay replay) {
        lock.lock();
        try {
            List<Event> past = new ArrayList<>();
            long firstHeld = ring.isEmpty() ? lastSequence + 1 : ring.getFirst().sequence();
            switch (replay) {
                case EventReplay.None n -> { }
                case EventReplay.AfterSequence a -> {
                    if (a.sequence() + 1 < firstHeld && a.sequence() < lastSequence) {
                        past.add(lost(a.sequence(), a.sequence() + 1, Optional.of(firstHeld - 1)));
                    }
                    ring.stream().filter(e -> e.sequence() > a.sequence() && filter.matches(e)).forEach(past::add);
                }
                case EventReplay.FromTime t -> {
                    // events were evicted and the oldest kept is already later than asked: some may be missing
                    if (firstHeld > 1 && !ring.isEmpty() && ring.getFirst().time().isAfter(t.time())) {
                        past.add(lost(0, 1, Optional.of(firstHeld - 1)));
                    }
                    ring.stream().filter(e -> !e.time().isBefore(t.time()) && filter.matches(e)).forEach(past::add);
                }
            }
            Subscription s = new Subscription(filter, past, queueSize + past.size());
            subscribers.add(s);
            return s;
        } finally {
            lock.unlock();
        }
    }

    /** How many subscriptions are live (tests: a client that went away leaves none). */
    int subscribers() {
        lock.lock();
        try {
            return subscribers.size();
        } finally {
            lock.unlock();
        }
    }

    private void remove(Subscription s) {
        lock.lock();
        try {
            subscribers.remove(s);
        } finally {
            lock.unlock();
        }
    }

    /** A record of missing events {@code from}..{@code to}; its sequence is the last one before them, for since=. */
    private Event lost(long lastBefore, long from, Optional<Long> to) {
        Map<String, String> details = to.isPresent()
                ? Map.of("from", Long.toString(from), "to", Long.toString(to.get()))
                : Map.of("from", Long.toString(from));
        return new Event(lastBefore, clock.instant(), EventType.LOST, "", "-", Map.of(), Optional.empty(),
                OptionalInt.empty(), details);
    }

    /** One subscriber's queue; {@link #offer} runs under the hub's lock, the reader on its own thread. */
    private final class Subscription implements EventSubscription {
        private final EventFilter filter;
        private final int capacity;
        private final ReentrantLock queueLock = new ReentrantLock();
        private final Condition arrived = queueLock.newCondition();
        private final ArrayDeque<Event> queue;
        private Optional<Event> finalRecord = Optional.empty();
        /** The last sequence this subscriber was offered (queued or filtered out): a resume point. */
        private long lastSeen;
        private boolean cut;
        private boolean closed;
        private boolean ended;

        Subscription(EventFilter filter, List<Event> past, int capacity) {
            this.filter = filter;
            this.capacity = capacity;
            this.queue = new ArrayDeque<>(past);
            this.lastSeen = lastSequence;
        }

        /** False once this subscription is cut or closed: the hub then forgets it. */
        boolean offer(Event e) {
            queueLock.lock();
            try {
                if (closed || cut) {
                    return false;
                }
                if (!filter.matches(e)) {
                    lastSeen = e.sequence();
                    return true;
                }
                if (queue.size() >= capacity) {
                    cut = true;
                    finalRecord = Optional.of(lost(lastSeen, e.sequence(), Optional.empty()));
                    arrived.signalAll();
                    return false;
                }
                queue.addLast(e);
                lastSeen = e.sequence();
                arrived.signalAll();
                return true;
            } finally {
                queueLock.unlock();
            }
        }

        @Override
        public Optional<Event> next() {
            return take(Optional.empty());
        }

        @Override
        public Optional<Event> next(Duration timeout) {
            return take(Optional.of(timeout));
        }

        private Optional<Event> take(Optional<Duration> timeout) {
            queueLock.lock();
            try {
                long left = timeout.map(Duration::toNanos).orElse(Long.MAX_VALUE);
                while (queue.isEmpty() && !closed && !cut) {
                    if (timeout.isEmpty()) {
                        arrived.await();
                    } else if (left <= 0) {
                        return Optional.empty();
                    } else {
                        left = arrived.awaitNanos(left);
                    }
                }
                if (closed || ended) {
                    return Optional.empty();
                }
                if (!queue.isEmpty()) {
                    return Optional.of(queue.removeFirst());
                }
                ended = true; // cut, and everything queued before the cut has been read
                return finalRecord;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            } finally {
                queueLock.unlock();
            }
        }

        @Override
        public void close() {
            queueLock.lock();
            try {
                closed = true;
                queue.clear();
                arrived.signalAll();
            } finally {
                queueLock.unlock();
            }
            remove(this);
        }
    }
}
