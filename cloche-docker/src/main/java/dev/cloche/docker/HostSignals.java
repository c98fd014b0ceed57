package dev.cloche.docker;

/**
 * Signals to a process of the engine's host, by pid. The engine API has no call to signal an exec, so a signal goes
 * to the exec's pid as the engine reports it; that needs the engine on this host (a {@code unix://} socket).
 */
interface HostSignals {

    /**
     * Sends SIGTERM ({@code kill} false) or SIGKILL to {@code pid} if it is still the process that started at
     * {@code startedAtMillis} (a reused pid is left alone). Returns false if that process is gone.
     */
    boolean signal(long pid, long startedAtMillis, boolean kill);

    /** The start time of a live {@code pid} in epoch millis, or -1 if there is none. */
    long startTime(long pid);

    /** Through {@link ProcessHandle}: SIGTERM is {@code destroy}, SIGKILL {@code destroyForcibly}. */
    static HostSignals processHandles() {
        return new HostSignals() {
            @Override
            public boolean signal(long pid, long startedAtMillis, boolean kill) {
                var handle = ProcessHandle.of(pid);
                if (handle.isEmpty() || !handle.get().isAlive()) return false;
                if (startTimeOf(handle.get()) != startedAtMillis) return false;
                return kill ? handle.get().destroyForcibly() : handle.get().destroy();
            }

            @Override
            public long startTime(long pid) {
                return ProcessHandle.of(pid).filter(ProcessHandle::isAlive).map(h -> startTimeOf(h)).orElse(-1L);
            }

            private long startTimeOf(ProcessHandle h) {
                return h.info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
            }
        };
    }
}
