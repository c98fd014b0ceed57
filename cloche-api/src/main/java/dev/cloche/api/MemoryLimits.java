package dev.cloche.api;

/** Memory limit in bytes; zero means unset. */
public record MemoryLimits(long limitInBytes) {
    public static final MemoryLimits NONE = new MemoryLimits(0);
    public MemoryLimits { Uint64.require(limitInBytes, "limit_in_bytes"); }
}
