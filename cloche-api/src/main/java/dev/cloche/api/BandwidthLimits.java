package dev.cloche.api;

/** Bytes per second and burst bytes; zero means unset. */
public record BandwidthLimits(long rateInBytesPerSecond, long burstRateInBytesPerSecond) {
    public static final BandwidthLimits NONE = new BandwidthLimits(0, 0);
    public BandwidthLimits { Values.requireUnsigned(rateInBytesPerSecond, "rate"); Values.requireUnsigned(burstRateInBytesPerSecond, "burst"); }
}
