package dev.cloche.linux.fs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Adds extended attributes to a tar stream as it is read (docs/files.md §4): before each regular-file or directory
 * header it inserts a PAX header with {@code SCHILY.xattr.*} records for the attributes {@code lookup} returns for
 * that entry's name. Everything else passes through unchanged; anything it cannot parse ends the insertion, not
 * the stream.
 */
public final class TarXattrs extends InputStream {
    private static final int BLOCK = TarGuard.BLOCK;

    private final InputStream in;
    private final Function<String, Map<String, byte[]>> lookup;
    private final byte[] header = new byte[BLOCK];
    private byte[] pending = new byte[0];
    private int pendingPos;
    /** Bytes of the current entry's data (padded) still to pass through before the next header. */
    private long dataLeft;
    private Optional<String> longName = Optional.empty();
    private boolean collectLongName;
    private final ByteArrayOutputStream longNameBytes = new ByteArrayOutputStream();
    private boolean passThrough;

    public TarXattrs(InputStream in, Function<String, Map<String, byte[]>> lookup) {
        this.in = in;
        this.lookup = lookup;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (pendingPos >= pending.length) {
            if (passThrough) return in.read(b, off, len);
            if (dataLeft > 0) {
                int n = in.read(b, off, (int) Math.min(len, dataLeft));
                if (n < 0) return -1;
                dataLeft -= n;
                if (collectLongName) longNameBytes.write(b, off, n);
                if (dataLeft == 0 && collectLongName) {
                    collectLongName = false;
                    longName = Optional.of(TarGuard.cString(longNameBytes.toByteArray(), 0, longNameBytes.size()));
                }
                return n;
            }
            int got = in.readNBytes(header, 0, BLOCK);
            if (got < BLOCK) {
                if (got <= 0) return -1;
                pending = Arrays.copyOf(header, got);
                pendingPos = 0;
                passThrough = true;
                break;
            }
            pending = nextHeader();
            pendingPos = 0;
        }
        int n = Math.min(len, pending.length - pendingPos);
        System.arraycopy(pending, pendingPos, b, off, n);
        pendingPos += n;
        return n;
    }

    /** The bytes to emit for the header just read: the header, preceded by a PAX header when it has attributes. */
    private byte[] nextHeader() {
        byte[] h = header.clone();
        if (allZero(h)) {
            passThrough = true; // end of archive: the rest is padding
            return h;
        }
        long size;
        try {
            size = number(h, 124, 12);
        } catch (NumberFormatException e) {
            passThrough = true;
            return h;
        }
        char type = (char) (h[156] & 0xff);
        dataLeft = (size + BLOCK - 1) / BLOCK * BLOCK;
        if (type == 'L') {
            collectLongName = true;
            longNameBytes.reset();
            return h;
        }
        if (type == 'K' || type == 'x' || type == 'g') return h;
        String name = longName.orElseGet(() -> {
            String n = TarGuard.cString(h, 0, 100);
            boolean posix = h[257] == 'u' && h[262] == 0 && h[263] == '0' && h[264] == '0';
            String prefix = posix ? TarGuard.cString(h, 345, 155) : "";
            return prefix.isEmpty() ? n : prefix + "/" + n;
        });
        longName = Optional.empty();
        if (type != '0' && type != '\0' && type != '7' && type != '5') return h;
        Map<String, byte[]> attrs = lookup.apply(name);
        if (attrs.isEmpty()) return h;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(paxHeader(name, attrs));
        out.writeBytes(h);
        return out.toByteArray();
    }

    static byte[] paxHeader(String name, Map<String, byte[]> attrs) {
        ByteArrayOutputStream records = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> a : attrs.entrySet()) {
            byte[] key = (" SCHILY.xattr." + a.getKey() + "=").getBytes(StandardCharsets.UTF_8);
            int body = key.length + a.getValue().length + 1;
            int len = body + 1;
            while (Integer.toString(len).length() + body != len) len++;
            records.writeBytes(Integer.toString(len).getBytes(StandardCharsets.US_ASCII));
            records.writeBytes(key);
            records.writeBytes(a.getValue());
            records.write('\n');
        }
        byte[] data = records.toByteArray();
        byte[] h = new byte[BLOCK];
        String base = name.replaceAll("/+$", "");
        base = base.substring(base.lastIndexOf('/') + 1);
        put(h, 0, 100, "./PaxHeaders/" + (base.isEmpty() || base.equals(".") ? "root" : base));
        put(h, 100, 8, "0000644");
        put(h, 108, 8, "0000000");
        put(h, 116, 8, "0000000");
        put(h, 124, 12, String.format("%011o", data.length));
        put(h, 136, 12, "00000000000");
        h[156] = 'x';
        put(h, 257, 6, "ustar\0");
        put(h, 263, 2, "00");
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte x : h) sum += x & 0xff;
        put(h, 148, 8, String.format("%06o\0 ", sum));
        int padded = (data.length + BLOCK - 1) / BLOCK * BLOCK;
        byte[] out = Arrays.copyOf(h, BLOCK + padded);
        System.arraycopy(data, 0, out, BLOCK, data.length);
        return out;
    }

    private static void put(byte[] h, int off, int len, String v) {
        byte[] b = v.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(b, 0, h, off, Math.min(len, b.length));
    }

    private static long number(byte[] b, int off, int len) {
        if ((b[off] & 0x80) != 0) {
            long v = b[off] & 0x3f;
            for (int i = off + 1; i < off + len; i++) v = (v << 8) | (b[i] & 0xff);
            return v;
        }
        String s = new String(b, off, len, StandardCharsets.US_ASCII).replace('\0', ' ').trim();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
