package dev.cloche.tar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/** Writes tar archives byte by byte, including the malformed and hostile ones no tar tool would produce. */
public final class Tars {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    public static Tars archive() {
        return new Tars();
    }

    /** A raw ustar header: {@code prefix} goes into the ustar prefix field. */
    public Tars header(String name, char type, long size, String link, String prefix, int mode) {
        byte[] h = new byte[512];
        put(h, 0, 100, name);
        put(h, 100, 8, String.format("%07o", mode));
        put(h, 108, 8, "0000000");
        put(h, 116, 8, "0000000");
        put(h, 124, 12, String.format("%011o", size));
        put(h, 136, 12, String.format("%011o", 1700000000L));
        h[156] = (byte) type;
        put(h, 157, 100, link);
        put(h, 257, 6, "ustar\0");
        put(h, 263, 2, "00");
        put(h, 345, 155, prefix);
        checksum(h);
        out.writeBytes(h);
        return this;
    }

    public static void checksum(byte[] h) {
        Arrays.fill(h, 148, 156, (byte) ' ');
        long sum = 0;
        for (byte b : h) sum += b & 0xff;
        put(h, 148, 8, String.format("%06o\0 ", sum));
    }

    private static void put(byte[] h, int off, int len, String v) {
        byte[] b = v.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(b, 0, h, off, Math.min(len, b.length));
    }

    public Tars data(byte[] d) {
        out.writeBytes(d);
        int pad = (512 - d.length % 512) % 512;
        out.writeBytes(new byte[pad]);
        return this;
    }

    public Tars file(String name, String content) {
        return file(name, content, 0644);
    }

    public Tars file(String name, String content, int mode) {
        byte[] d = content.getBytes(StandardCharsets.UTF_8);
        return header(name, '0', d.length, "", "", mode).data(d);
    }

    public Tars dir(String name) {
        return header(name, '5', 0, "", "", 0755);
    }

    public Tars symlink(String name, String target) {
        return header(name, '2', 0, target, "", 0777);
    }

    public Tars hardlink(String name, String target) {
        return header(name, '1', 0, target, "", 0644);
    }

    /** A GNU long name ('L') or long link ('K') record for the next entry. */
    public Tars gnuLong(char type, String value) {
        byte[] d = (value + "\0").getBytes(StandardCharsets.UTF_8);
        return header("././@LongLink", type, d.length, "", "", 0644).data(d);
    }

    /** A PAX extended header ('x') or global header ('g'). */
    public Tars pax(char type, Map<String, byte[]> records) {
        ByteArrayOutputStream d = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> r : records.entrySet()) {
            byte[] k = (" " + r.getKey() + "=").getBytes(StandardCharsets.UTF_8);
            int body = k.length + r.getValue().length + 1;
            int len = body + 1;
            while (Integer.toString(len).length() + body != len) len++;
            d.writeBytes(Integer.toString(len).getBytes(StandardCharsets.US_ASCII));
            d.writeBytes(k);
            d.writeBytes(r.getValue());
            d.write('\n');
        }
        byte[] b = d.toByteArray();
        return header("PaxHeaders/x", type, b.length, "", "", 0644).data(b);
    }

    public static Map<String, byte[]> records(String... kv) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put(kv[i], kv[i + 1].getBytes(StandardCharsets.UTF_8));
        return m;
    }

    public Tars raw(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    /** The archive with its end-of-archive marker (two zero blocks). */
    public byte[] end() {
        out.writeBytes(new byte[1024]);
        return out.toByteArray();
    }

    /** The archive so far, without an end marker. */
    public byte[] bytes() {
        return out.toByteArray();
    }
}
