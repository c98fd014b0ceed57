package dev.cloche.api;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * One thing that happened in the daemon, as {@link EventSource} subscribers see it.
 *
 * @param sequence   1, 2, 3… in publication order, per daemon run; a subscriber sees increasing numbers (a gap
 *                   means events its filter left out); {@code since=N} replays from after N
 * @param time       when it was published
 * @param type       what happened
 * @param handle     the container's handle; empty for events about no container (an image pull, a lost record)
 * @param requestId  the request that caused it ({@link CallContext#requestId()}): a process's exit carries the id
 *                   of the request that ran it; {@code -} for what the daemon did on its own (the grace reaper, an
 *                   OOM kill)
 * @param properties the container's properties when it happened (what property filters match)
 * @param processId  the process, for process events
 * @param exitStatus the exit status, for {@link EventType#PROCESS_EXITED}
 * @param details    type-specific facts, such as {@code host_port}/{@code container_port} (net-in), {@code rules}
 *                   (net-out), {@code image}/{@code id} (image-pulled), {@code kills} (oom), {@code dropped} (lost)
 */
public record Event(long sequence, Instant time, EventType type, String handle, String requestId,
                    Map<String, String> properties, Optional<String> processId, OptionalInt exitStatus,
                    Map<String, String> details) {
    public Event {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(processId, "processId");
        Objects.requireNonNull(exitStatus, "exitStatus");
        properties = Map.copyOf(properties);
        details = Map.copyOf(details);
    }
}
