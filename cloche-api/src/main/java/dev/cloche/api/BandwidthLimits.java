package dev.cloche.api;

/** Bytes per second and burst bytes; zero means unset. */
public record BandwidthLimits(long rateInBytesPerSecond, long burstRateInBytesPerSecond) {
    public static final BandwidthLimits NONE = new BandwidthLimits(0, 0);
    public BandwidthLimits { Uint64.require(rateInBytesPerSecond, "rate"); Uint64.require(burstRateInBytesPerSecond, "burst"); }
}
