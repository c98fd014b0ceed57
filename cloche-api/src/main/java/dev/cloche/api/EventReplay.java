package dev.cloche.api;

import java.time.Instant;
import java.util.Objects;

/**
 * Where a subscription starts: now ({@link None}), or with the past events the daemon's bounded ring still holds,
 * after a sequence number or from a time. Events older than the ring are gone: a replay that asks for them starts
 * with a {@link EventType#LOST} record that says how many.
 */
public sealed interface EventReplay {
    /** Only events published after subscribing. */
    record None() implements EventReplay {}

    /** Events with a sequence number greater than {@code sequence} ({@code 0}: everything the ring holds). */
    record AfterSequence(long sequence) implements EventReplay {
        public AfterSequence {
            if (sequence < 0) {
                throw new InvalidRequestException("since must not be negative: " + sequence);
            }
        }
    }

    /** Events published at or after {@code time}. */
    record FromTime(Instant time) implements EventReplay {
        public FromTime {
            Objects.requireNonNull(time, "time");
        }
    }

    EventReplay NONE = new None();

    static EventReplay afterSequence(long sequence) {
        return new AfterSequence(sequence);
    }

    static EventReplay fromTime(Instant time) {
        return new FromTime(time);
    }
}
