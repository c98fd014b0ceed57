package dev.cloche.portlayer;

import dev.cloche.api.GardenError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * The one-file ustar archives that carry a copied file through Garden's stream in/out: a regular-file entry with
 * mode, owner root, and the content. Names longer than 100 bytes use ustar's 155-byte prefix field.
 */
final class Tar {
    private Tar() {}

    record File(String name, int mode, byte[] content) {}

    /** One regular-file entry {@code name} (relative, no leading '/'). */
    static byte[] write(String name, int mode, byte[] content) {
        byte[] h = new byte[512];
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        if (n.length <= 100) {
            System.arraycopy(n, 0, h, 0, n.length);
        } else {
            int split = name.lastIndexOf('/', name.length() - 1);
            byte[] prefix = split < 0 ? new byte[156] : name.substring(0, split).getBytes(StandardCharsets.UTF_8);
            byte[] rest = split < 0 ? n : name.substring(split + 1).getBytes(StandardCharsets.UTF_8);
            if (prefix.length > 155 || rest.length > 100) {
                throw GardenError.of(GardenError.Kind.INVALID_REQUEST, "file path too long to copy: " + name);
            }
            System.arraycopy(rest, 0, h, 0, rest.length);
            System.arraycopy(prefix, 0, h, 345, prefix.length);
        }
        put(h, 100, String.format("%07o", mode));
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", content.length));
        put(h, 136, String.format("%011o", System.currentTimeMillis() / 1000));
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
        ByteArrayOutputStream out = new ByteArrayOutputStream(512 + content.length + 1536);
        out.writeBytes(h);
        out.writeBytes(content);
        out.writeBytes(new byte[(512 - content.length % 512) % 512 + 1024]); // padding, then the two end blocks
        return out.toByteArray();
    }

    /** The first regular file of a tar stream, if any (a directory or an empty archive has none). */
    static Optional<File> firstFile(InputStream in) throws IOException {
        while (true) {
            byte[] h = in.readNBytes(512);
            if (h.length < 512 || h[0] == 0) {
                return Optional.empty();
            }
            if (!new String(h, 257, 5, StandardCharsets.US_ASCII).equals("ustar")) {
                throw GardenError.internal("not a tar stream");
            }
            String base = cstr(h, 0, 100);
            String prefix = cstr(h, 345, 155);
            String name = prefix.isEmpty() ? base : prefix + "/" + base;
            int mode = (int) octal(h, 100, 8);
            long size = octal(h, 124, 12);
            byte type = h[156];
            long padded = (size + 511) / 512 * 512;
            if (type == '0' || type == 0) {
                if (size > Integer.MAX_VALUE - 8) {
                    throw GardenError.internal("file too large to copy out: " + size + " bytes");
                }
                byte[] content = in.readNBytes((int) size);
                if (content.length < size) {
                    throw GardenError.internal("truncated tar stream");
                }
                return Optional.of(new File(name, mode & 07777, content));
            }
            in.skipNBytes(padded);
        }
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
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
            throw GardenError.internal("bad tar header field: " + s);
        }
    }
}
