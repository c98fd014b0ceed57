package dev.cloche.api;

/** Maximum number of pids; zero means unlimited. */
public record PidLimits(long max) {
    public static final PidLimits NONE = new PidLimits(0);
    public PidLimits { Uint64.require(max, "max"); }
}
