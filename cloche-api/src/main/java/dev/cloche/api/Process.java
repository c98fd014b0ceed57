package dev.cloche.api;

import java.util.concurrent.CompletableFuture;

/**
 * A caller's attachment to a process in a container, as Garden's {@code Process}. {@link #close()} only detaches
 * this caller: the process runs on and can be attached again, so a try-with-resources ends nothing. Ending the
 * process is {@link #signal} or {@link Container#stop}.
 */
public interface Process extends AutoCloseable {

    /** The process id: the spec's id if one was given, else the one the server generated. */
    String id();

    /**
     * Garden's {@code Wait()}: the exit status (128+signo on death by signal) once the process has exited
     * <em>and</em> all its output has been delivered to the {@link ProcessIO} writers.
     */
    int await();

    /** Completes with the exit status as soon as the process exits; output may still be in flight. */
    CompletableFuture<Integer> onExit();

    /** Resizes the process's terminal (SIGWINCH); ignored for a process without a TTY. */
    void setTty(TtySpec tty);

    void signal(Signal signal);

    /**
     * Detaches this caller, never ends the process: releases the container's grace-time hold that run/attach took
     * and, if the process is still running, stops delivering its output to this caller's {@link ProcessIO}. Output
     * of a process that has already exited is still delivered in full. The process keeps running and can be attached
     * again. Idempotent.
     */
    @Override
    void close();
}
