package dev.cloche.console;

import java.util.Objects;

/**
 * The {@code task.advertise} payload: {@code {"id":"<agent id>","available_memory":<MiB>,"available_disk":<MiB>}},
 * the capacity still reservable on the agent once the limits of its running tasks are subtracted.
 */
public record Advertisement(String id, long availableMemoryMiB, long availableDiskMiB) {
    public Advertisement {
        Objects.requireNonNull(id, "id");
    }
}
