package dev.cloche.api;

/**
 * Garden's u64 fields, held in Java longs as two's complement. Values at or above 2^63 cannot be enforced by any
 * kernel interface we use, so the value records reject them rather than silently wrap them.
 */
final class Uint64 {
    private Uint64() {}

    /** Throws {@link InvalidRequestException} ({@code <name> is out of range: <unsigned value>}) for 2^63 and up. */
    static void require(long value, String name) {
        if (value < 0) {
            throw new InvalidRequestException(name + " is out of range: " + Long.toUnsignedString(value));
        }
    }
}
