package dev.cloche.console;

import java.util.Collection;
import java.util.Optional;

/**
 * An agent's memory and disk for tasks: each task reserves its limits (an unlimited task reserves nothing) until its
 * container is destroyed, and a start that does not fit what is left is refused.
 */
record TaskBudget(String agentId, long memoryMiB, long diskMiB) {

    /** Why {@code start} does not fit beside {@code tasks}; empty when it does. */
    Optional<String> refusal(TaskStart start, Collection<Task> tasks) {
        long memory = availableMemoryMiB(tasks);
        if (start.reservedMemoryMiB() > memory) {
            return Optional.of("not enough memory on agent " + agentId + ": " + start.reservedMemoryMiB()
                    + " MiB asked, " + memory + " MiB available");
        }
        long disk = availableDiskMiB(tasks);
        if (start.reservedDiskMiB() > disk) {
            return Optional.of("not enough disk on agent " + agentId + ": " + start.reservedDiskMiB()
                    + " MiB asked, " + disk + " MiB available");
        }
        return Optional.empty();
    }

    Advertisement advertisement(Collection<Task> tasks) {
        return new Advertisement(agentId, availableMemoryMiB(tasks), availableDiskMiB(tasks));
    }

    private long availableMemoryMiB(Collection<Task> tasks) {
        return Math.max(0, memoryMiB - tasks.stream().mapToLong(Task::memoryMiB).sum());
    }

    private long availableDiskMiB(Collection<Task> tasks) {
        return Math.max(0, diskMiB - tasks.stream().mapToLong(Task::diskMiB).sum());
    }
}
