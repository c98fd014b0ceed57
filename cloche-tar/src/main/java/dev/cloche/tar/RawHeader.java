package dev.cloche.tar;

import java.nio.charset.StandardCharsets;
import org.apache.commons.compress.archivers.tar.TarUtils;

/**
 * One 512-byte header block as it was read, with the fields the checks need in their raw form: {@code name},
 * {@code linkName} and {@code prefix} up to their first NUL, {@code ustar} when the magic is {@code ustar\0}.
 * Parsing is strict where commons-compress is lenient: its octal parser reads a field that starts with a NUL as 0
 * whatever follows, and it only records a bad checksum ({@code isCheckSumOK}) instead of refusing the header.
 */
record RawHeader(long offset, char type, long size, String name, String linkName, String prefix, boolean ustar) {
    static final int BLOCK = 512;

    static RawHeader parse(byte[] b, long at) throws TarRejectedException {
        octal(b, 148, 8, at, "checksum");
        if (!TarUtils.verifyCheckSum(b)) throw corrupt(at, "checksum mismatch");
        octal(b, 100, 8, at, "mode");
        long size = number(b, 124, 12, at, "size");
        boolean ustar = b[257] == 'u' && b[258] == 's' && b[259] == 't' && b[260] == 'a' && b[261] == 'r' && b[262] == 0;
        return new RawHeader(at, (char) (b[156] & 0xff), size, cString(b, 0, 100), cString(b, 157, 100), cString(b, 345, 155), ustar);
    }

    /** GNU long name/link ({@code L}, {@code K}) and PAX ({@code x}, {@code g}): they describe the next entry. */
    boolean extended() {
        return type == 'L' || type == 'K' || type == 'x' || type == 'g';
    }

    /** The name busybox extracts to when no extended header overrides it. */
    String headerName() {
        return ustar && !prefix.isEmpty() ? prefix + "/" + name : name;
    }

    static String cString(byte[] b, int from, int len) {
        int end = from;
        while (end < from + len && b[end] != 0) end++;
        return new String(b, from, end - from, StandardCharsets.UTF_8);
    }

    static String printable(char c) {
        return c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }

    /** Octal, or GNU base-256 when the first byte has its high bit set. */
    private static long number(byte[] b, int off, int len, long at, String field) throws TarRejectedException {
        if ((b[off] & 0x80) != 0) {
            if ((b[off] & 0x40) != 0) throw new TarRejectedException("negative " + field + " at byte " + at);
            long v = b[off] & 0x3f;
            for (int i = off + 1; i < off + len; i++) {
                if (v > (Long.MAX_VALUE >> 8)) throw new TarRejectedException(field + " out of range at byte " + at);
                v = (v << 8) | (b[i] & 0xff);
            }
            return v;
        }
        return octal(b, off, len, at, field);
    }

    /** Leading spaces, octal digits, then only spaces and NULs; the checksum needs a digit. */
    private static long octal(byte[] b, int off, int len, long at, String field) throws TarRejectedException {
        int i = off;
        int end = off + len;
        while (i < end && b[i] == ' ') i++;
        long v = 0;
        int digits = 0;
        while (i < end && b[i] >= '0' && b[i] <= '7') {
            v = v * 8 + (b[i] - '0');
            i++;
            digits++;
        }
        while (i < end && (b[i] == ' ' || b[i] == 0)) i++;
        if (i != end || digits == 0 && field.equals("checksum")) throw corrupt(at, "bad " + field + " field");
        return v;
    }

    private static TarRejectedException corrupt(long at, String why) {
        return new TarRejectedException("corrupt tar header at byte " + at + ": " + why);
    }
}
