package dev.cloche.api;

/** Validation helpers shared by the value records. */
final class Values {
    private Values() {}

    /**
     * Garden sends u64; Java longs hold them as two's complement. Values at or above 2^63 cannot be enforced by
     * any kernel interface we use, so they are rejected rather than silently wrapped.
     */
    static void requireUnsigned(long value, String name) {
        if (value < 0) {
            throw new InvalidRequestException(name + " is out of range: " + Long.toUnsignedString(value));
        }
    }
}
