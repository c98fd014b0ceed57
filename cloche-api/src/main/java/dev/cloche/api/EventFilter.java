package dev.cloche.api;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Which events a subscriber wants: those of one container ({@code handle}) and/or of containers whose properties
 * include every {@code k=v} of {@code properties} (as Garden's container list filters). An empty filter takes every
 * event; a {@link EventType#LOST} record always passes, since it is about the subscription itself.
 */
public record EventFilter(Optional<String> handle, Map<String, String> properties) {
    public static final EventFilter ALL = new EventFilter(Optional.empty(), Map.of());

    public EventFilter {
        Objects.requireNonNull(handle, "handle");
        properties = Map.copyOf(properties);
    }

    public static EventFilter handle(String handle) {
        return new EventFilter(Optional.of(handle), Map.of());
    }

    public EventFilter withProperty(String name, String value) {
        Map<String, String> more = new java.util.HashMap<>(properties);
        more.put(name, value);
        return new EventFilter(handle, more);
    }

    public boolean matches(Event e) {
        if (e.type() == EventType.LOST) {
            return true;
        }
        if (handle.isPresent() && !handle.get().equals(e.handle())) {
            return false;
        }
        for (Map.Entry<String, String> p : properties.entrySet()) {
            if (!p.getValue().equals(e.properties().get(p.getKey()))) {
                return false;
            }
        }
        return true;
    }
}
