package dev.cloche.web;

import java.util.List;
import java.util.Objects;

/** The console's tasks as the page sees them, and ending one; the daemon adapts the console to it. */
public interface ConsoleTasksView {
    /** One task: its id, the agent that runs it, its open SSH sessions and its container's memory now. */
    record Task(String id, String agent, int sessions, long memoryBytes) {
        public Task {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(agent, "agent");
        }
    }

    List<Task> tasks();

    void end(String id);
}
