package dev.cloche.console;

import java.util.List;

/** Where an agent keeps its tasks so that a restarted agent resumes them. */
interface TaskStore {

    /** Writes (or replaces) a task's record; when this returns the record survives a crash. */
    void save(TaskRecord r);

    /** Forgets a task; a missing record is fine. */
    void remove(String task);

    /** Every record kept; an unreadable one is logged and skipped, never fatal. */
    List<TaskRecord> load();

    /** Keeps nothing: for tests of lifetimes that do not care about restarts. */
    TaskStore NONE = new TaskStore() {
        @Override
        public void save(TaskRecord r) {}

        @Override
        public void remove(String task) {}

        @Override
        public List<TaskRecord> load() {
            return List.of();
        }
    };
}
