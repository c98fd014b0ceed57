package dev.cloche.testkit;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Just enough ustar for the fake's files: regular-file entries only; anything that is not a tar reads as empty. */
final class FakeTar {
    private FakeTar() {}

    record Entry(String name, int mode, byte[] content) {}

    static List<Entry> read(byte[] tar) {
        List<Entry> out = new ArrayList<>();
        int off = 0;
        while (off + 512 <= tar.length) {
            byte[] h = Arrays.copyOfRange(tar, off, off + 512);
            if (h[0] == 0) {
                break;
            }
            if (!new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) {
                return List.of();
            }
            String name = cstr(h, 345, 155).isEmpty() ? cstr(h, 0, 100) : cstr(h, 345, 155) + "/" + cstr(h, 0, 100);
            int mode = (int) octal(h, 100, 8);
            long size = octal(h, 124, 12);
            byte type = h[156];
            off += 512;
            if (size < 0 || off + size > tar.length) {
                return List.of();
            }
            if (type == '0' || type == 0) {
                out.add(new Entry(name, mode, Arrays.copyOfRange(tar, off, off + (int) size)));
            }
            off += (int) ((size + 511) / 512 * 512);
        }
        return out;
    }

    static byte[] write(Entry e) {
        byte[] h = new byte[512];
        put(h, 0, e.name());
        put(h, 100, String.format("%07o", e.mode()));
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", e.content().length));
        put(h, 136, "00000000000");
        Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = '0';
        put(h, 257, "ustar");
        put(h, 263, "00");
        long sum = 0;
        for (byte b : h) {
            sum += b & 0xff;
        }
        put(h, 148, String.format("%06o", sum));
        h[154] = 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(h);
        out.writeBytes(e.content());
        out.writeBytes(new byte[(512 - e.content().length % 512) % 512 + 1024]);
        return out.toByteArray();
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(b, 0, h, off, b.length);
    }

    private static String cstr(byte[] h, int off, int len) {
        int end = off;
        while (end < off + len && h[end] != 0) {
            end++;
        }
        return new String(h, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] h, int off, int len) {
        String s = cstr(h, off, len).strip();
        try {
            return s.isEmpty() ? 0 : Long.parseLong(s, 8);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
