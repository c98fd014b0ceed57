package dev.cloche.console;

/** One connected client of a task (an SSH connection); the task keeps its container while it has any. */
interface ConsoleSession {
    /** Disconnects the client because its task ended; idempotent, never throws. */
    void kick(String reason);
}
