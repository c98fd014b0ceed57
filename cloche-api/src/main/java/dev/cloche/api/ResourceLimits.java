package dev.cloche.api;

import java.util.EnumMap;
import java.util.Map;

/** Garden's {@code ResourceLimits} (setrlimit values); only the limits present in the map are set. */
public record ResourceLimits(Map<Rlimit, Long> limits) {
    public static final ResourceLimits NONE = new ResourceLimits(Map.of());

    /** The rlimits Garden knows, by their wire names ({@link #wireName()}). */
    public enum Rlimit {
        AS, CORE, CPU, DATA, FSIZE, LOCKS, MEMLOCK, MSGQUEUE, NICE, NOFILE, NPROC, RSS, RTPRIO, SIGPENDING, STACK;

        public String wireName() { return name().toLowerCase(java.util.Locale.ROOT); }

        /** The OCI name, e.g. {@code RLIMIT_NOFILE}. */
        public String ociName() { return "RLIMIT_" + name(); }
    }

    public ResourceLimits {
        limits = limits.isEmpty() ? Map.of() : Map.copyOf(new EnumMap<>(limits));
    }
}
