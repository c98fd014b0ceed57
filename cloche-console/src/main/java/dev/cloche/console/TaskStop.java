package dev.cloche.console;

import java.util.Objects;

/** The {@code task.stop} payload: {@code {"task":"<id>"}}. */
public record TaskStop(String task) {
    public TaskStop {
        Objects.requireNonNull(task, "task");
        TaskCodec.requireTaskId(task);
    }
}
