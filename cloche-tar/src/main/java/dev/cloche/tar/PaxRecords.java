package dev.cloche.tar;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * PAX extended header records, {@code "<len> <key>=<value>\n"}, with values as raw bytes. commons-compress keeps
 * them as UTF-8 strings, which would garble binary xattr values both ways, and accepts malformed records.
 */
final class PaxRecords {
    static final String XATTR = "SCHILY.xattr.";

    private PaxRecords() {}

    /** The records in order; a later record of the same key wins. */
    static Map<String, byte[]> parse(byte[] data, long at) throws TarRejectedException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        int i = 0;
        while (i < data.length) {
            if (data[i] == 0) break; // NUL padding some writers leave after the last record
            int sp = i;
            while (sp < data.length && data[sp] >= '0' && data[sp] <= '9' && sp - i < 9) sp++;
            if (sp == i || sp >= data.length || data[sp] != ' ') throw corrupt(at);
            int len = Integer.parseInt(new String(data, i, sp - i, StandardCharsets.US_ASCII));
            int end = i + len;
            if (len <= sp - i + 1 || end > data.length || data[end - 1] != '\n') throw corrupt(at);
            int eq = sp + 1;
            while (eq < end - 1 && data[eq] != '=') eq++;
            if (eq >= end - 1 || eq == sp + 1) throw corrupt(at);
            out.put(new String(data, sp + 1, eq - sp - 1, StandardCharsets.UTF_8), Arrays.copyOfRange(data, eq + 1, end - 1));
            i = end;
        }
        return out;
    }

    /** The records' bytes; each length prefix counts itself. */
    static byte[] encode(Map<String, byte[]> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> r : records.entrySet()) {
            byte[] key = (" " + r.getKey() + "=").getBytes(StandardCharsets.UTF_8);
            int body = key.length + r.getValue().length + 1;
            int len = body + 1;
            while (Integer.toString(len).length() + body != len) len++;
            out.writeBytes(Integer.toString(len).getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(key);
            out.writeBytes(r.getValue());
            out.write('\n');
        }
        return out.toByteArray();
    }

    /** {@code SCHILY.xattr.*} records for these attributes, in their order. */
    static Map<String, byte[]> xattrs(Map<String, byte[]> attrs) {
        Map<String, byte[]> records = new LinkedHashMap<>();
        attrs.forEach((k, v) -> records.put(XATTR + k, v));
        return records;
    }

    private static TarRejectedException corrupt(long at) {
        return new TarRejectedException("corrupt PAX extended header at byte " + at);
    }
}
