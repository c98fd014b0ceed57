package dev.cloche.linux.fs;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Validates a tar stream header by header while copying it to the extracting tar (docs/files.md). A header is
 * forwarded only after it passed, so tar never sees a rejected entry; data blocks pass through unbuffered.
 *
 * <p>Rejected: absolute names, any {@code ..} component, an entry (or hard-link target) whose path runs through a
 * symlink made earlier in the same archive, hard links with absolute or {@code ..} targets, device and FIFO entries
 * when {@code allowDevices} is false, non-zero sizes on entries that carry no data (so the guard and tar can never
 * disagree on where the next header starts), PAX {@code size} overrides and sparse files (busybox tar ignores
 * them: the same desync), unknown entry types, bad checksums or numbers, and archives that end early.
 */
public final class TarGuard {
    static final int BLOCK = 512;
    /** Largest GNU long name/link or PAX header accepted: far above PATH_MAX, small enough to buffer. */
    static final int MAX_EXTENDED = 1 << 20;
    static final int MAX_PATH = 4096;

    /** The archive is hostile or corrupt; the message says which entry and why. */
    public static final class RejectedException extends IOException {
        RejectedException(String message) {
            super(message);
        }
    }

    /** Writing to the extracting tar failed (it exited): its own error says why. */
    public static final class SinkException extends IOException {
        SinkException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /**
     * What passed: the number of entries and, per entry path (normalized, relative to the destination), the
     * {@code SCHILY.xattr.*} extended attributes its PAX header carried, for the caller to apply.
     */
    public record Summary(int entries, Map<String, Map<String, byte[]>> xattrs) {}

    private final InputStream in;
    private final OutputStream out;
    private final boolean allowDevices;
    private final byte[] block = new byte[BLOCK];
    private final Set<String> symlinks = new HashSet<>();
    private final Map<String, Map<String, byte[]>> xattrs = new LinkedHashMap<>();
    private long offset;
    private int entries;

    private TarGuard(InputStream in, OutputStream out, boolean allowDevices) {
        this.in = in;
        this.out = out;
        this.allowDevices = allowDevices;
    }

    /**
     * Copies {@code in} to {@code out} up to and including the end-of-archive marker, then reads and discards the
     * rest of {@code in} (record padding). Does not close either stream.
     *
     * @throws RejectedException the archive is hostile or corrupt; nothing from the offending header on was written
     * @throws SinkException writing to {@code out} failed
     * @throws IOException reading {@code in} failed
     */
    public static Summary copy(InputStream in, OutputStream out, boolean allowDevices) throws IOException {
        TarGuard g = new TarGuard(in, out, allowDevices);
        g.run();
        return new Summary(g.entries, g.xattrs);
    }

    private void run() throws IOException {
        ByteArrayOutputStream pending = new ByteArrayOutputStream(); // extended headers, forwarded with their entry
        Extended ext = new Extended();
        while (true) {
            long at = offset;
            if (!readBlock()) {
                throw new RejectedException(offset == 0 ? "the archive is empty"
                        : "truncated archive: it ends at byte " + offset + " without an end-of-archive marker");
            }
            if (allZero(block)) {
                if (pending.size() > 0) throw new RejectedException("truncated archive: an extended header at byte " + at + " has no entry");
                // a lone zero block ends the archive for tar too; the second is supplied so every tar agrees
                write(block);
                write(new byte[BLOCK]);
                flush();
                in.transferTo(OutputStream.nullOutputStream());
                return;
            }
            Header h = Header.parse(block, at);
            long size = h.size;
            switch (h.type) {
                case 'L', 'K' -> {
                    byte[] data = readExtended(h, at);
                    String value = cString(data, 0, data.length);
                    if (h.type == 'L') ext.longName = Optional.of(value);
                    else ext.longLink = Optional.of(value);
                    pending.write(block.clone());
                    pending.write(padded(data));
                    continue;
                }
                case 'x', 'g' -> {
                    byte[] header = block.clone();
                    byte[] data = readExtended(h, at);
                    Map<String, byte[]> records = pax(data, at);
                    if (h.type == 'x') {
                        ext.apply(records, at);
                    } else {
                        // busybox ignores global headers; still, no global path may point anywhere odd
                        for (String k : List.of("path", "linkpath")) {
                            if (records.containsKey(k)) checkName(utf8(records.get(k), at, k), at, "global " + k);
                        }
                    }
                    pending.write(header);
                    pending.write(padded(data));
                    continue;
                }
                default -> { }
            }
            Entry e = entry(h, ext, at);
            entries++;
            write(pending.toByteArray());
            pending.reset();
            write(block);
            // only where they can be restored: regular files and directories (user.* is refused on the rest)
            if (!ext.xattrs.isEmpty() && (h.type == '0' || h.type == '\0' || h.type == '7' || h.type == '5')) xattrs.put(e.path, Map.copyOf(ext.xattrs));
            ext = new Extended();
            copyData(size, at);
        }
    }

    private record Entry(String path) {}

    /** Applies the extended headers to the real header {@code h} and checks the result. */
    private Entry entry(Header h, Extended ext, long at) throws RejectedException {
        char t = h.type;
        if ("01234567\0".indexOf(t) < 0) {
            throw new RejectedException("unsupported entry type '" + printable(t) + "' at byte " + at);
        }
        boolean regular = t == '0' || t == '\0' || t == '7';
        if (!regular && h.size != 0) {
            throw new RejectedException("entry at byte " + at + " of type '" + t + "' claims " + h.size + " data bytes");
        }
        if (ext.size.isPresent() && ext.size.get() != h.size) {
            throw new RejectedException("PAX size " + ext.size.get() + " differs from the header's " + h.size + " at byte " + at);
        }
        // the raw fields are checked even when an extended header overrides them, and the prefix field whatever
        // the magic says: tar implementations disagree on when each applies
        if (!h.name.isEmpty()) checkName(h.name, at, "name");
        if (!h.rawPrefix.isEmpty()) checkName(h.rawPrefix + "/" + h.name, at, "name");
        if (t == '1' && !h.linkName.isEmpty()) checkName(h.linkName, at, "hard link target");
        String name;
        if (ext.path.isPresent()) name = ext.path.get();
        else if (ext.longName.isPresent()) name = ext.longName.get();
        else name = h.ustar && !h.rawPrefix.isEmpty() ? h.rawPrefix + "/" + h.name : h.name;
        String path = checkName(name, at, "name");
        if (path.isEmpty() && t != '5') {
            throw new RejectedException("entry at byte " + at + " of type '" + printable(t) + "' names the destination itself");
        }
        checkNotThroughSymlink(path, at, name);
        String link = ext.linkPath.or(() -> ext.longLink).orElse(h.linkName);
        switch (t) {
            case '1' -> {
                String target = checkName(link, at, "hard link target");
                if (target.isEmpty()) throw new RejectedException("hard link " + name + " at byte " + at + " has no target");
                checkNotThroughSymlink(target, at, link);
            }
            case '2' -> {
                // symlink targets are resolved by the kernel inside the container's root; entries through the
                // link are what is refused (checkNotThroughSymlink)
                if (link.isEmpty() || link.indexOf('\0') >= 0) throw new RejectedException("symlink " + name + " at byte " + at + " has no target");
                symlinks.add(path);
            }
            case '3', '4', '6' -> {
                if (!allowDevices) {
                    throw new RejectedException((t == '6' ? "FIFO " : "device node ") + name + " at byte " + at
                            + " is not allowed in an unprivileged container");
                }
            }
            default -> { }
        }
        // a later entry of the same name does not clear it: tar may keep the symlink (a directory entry over a
        // symlink to a directory), so entries through that name stay refused
        return new Entry(path);
    }

    /** Refuses absolute names and ".." components; returns the name normalized (no "." or empty components). */
    static String checkName(String name, long at, String what) throws RejectedException {
        if (name.isEmpty()) throw new RejectedException("empty " + what + " at byte " + at);
        if (name.indexOf('\0') >= 0) throw new RejectedException(what + " with a NUL byte at byte " + at);
        if (name.length() > MAX_PATH) throw new RejectedException(what + " longer than " + MAX_PATH + " at byte " + at);
        if (name.startsWith("/")) throw new RejectedException("absolute " + what + " " + name + " at byte " + at);
        List<String> parts = new ArrayList<>();
        for (String c : name.split("/")) {
            if (c.equals("..")) throw new RejectedException(what + " " + name + " at byte " + at + " contains '..'");
            if (!c.isEmpty() && !c.equals(".")) parts.add(c);
        }
        return String.join("/", parts);
    }

    private void checkNotThroughSymlink(String path, long at, String shown) throws RejectedException {
        int slash = -1;
        while ((slash = path.indexOf('/', slash + 1)) > 0) {
            String dir = path.substring(0, slash);
            if (symlinks.contains(dir)) {
                throw new RejectedException(shown + " at byte " + at + " goes through the symlink " + dir + " made earlier in the archive");
            }
        }
    }

    private byte[] readExtended(Header h, long at) throws IOException {
        if (h.size > MAX_EXTENDED) {
            throw new RejectedException("extended header at byte " + at + " of " + h.size + " bytes (limit " + MAX_EXTENDED + ")");
        }
        int n = (int) h.size;
        byte[] data = new byte[n];
        if (in.readNBytes(data, 0, n) < n) throw truncated();
        offset += n;
        skipPadding(n);
        return data;
    }

    private void skipPadding(long n) throws IOException {
        int pad = (int) ((BLOCK - n % BLOCK) % BLOCK);
        if (pad > 0) {
            if (in.readNBytes(new byte[pad], 0, pad) < pad) throw truncated();
            offset += pad;
        }
    }

    private static byte[] padded(byte[] data) {
        int len = (data.length + BLOCK - 1) / BLOCK * BLOCK;
        return java.util.Arrays.copyOf(data, len);
    }

    private void copyData(long size, long at) throws IOException {
        long remaining = (size + BLOCK - 1) / BLOCK * BLOCK;
        byte[] buf = new byte[65536];
        while (remaining > 0) {
            int n = in.read(buf, 0, (int) Math.min(buf.length, remaining));
            if (n < 0) throw new RejectedException("truncated archive: the data of the entry at byte " + at + " ends early");
            offset += n;
            remaining -= n;
            write(buf, n);
        }
    }

    private boolean readBlock() throws IOException {
        int n = in.readNBytes(block, 0, BLOCK);
        if (n == 0) return false;
        if (n < BLOCK) throw truncated();
        offset += BLOCK;
        return true;
    }

    private RejectedException truncated() {
        return new RejectedException("truncated archive: it ends inside a block near byte " + offset);
    }

    private void write(byte[] b) throws SinkException {
        write(b, b.length);
    }

    private void write(byte[] b, int n) throws SinkException {
        try {
            out.write(b, 0, n);
        } catch (IOException e) {
            throw new SinkException(e);
        }
    }

    private void flush() throws SinkException {
        try {
            out.flush();
        } catch (IOException e) {
            throw new SinkException(e);
        }
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }

    private static String printable(char c) {
        return c >= 32 && c < 127 ? String.valueOf(c) : String.format("\\x%02x", (int) c);
    }

    /** Extended-header state that applies to the next real entry. */
    private static final class Extended {
        Optional<String> longName = Optional.empty();
        Optional<String> longLink = Optional.empty();
        Optional<String> path = Optional.empty();
        Optional<String> linkPath = Optional.empty();
        Optional<Long> size = Optional.empty();
        final Map<String, byte[]> xattrs = new LinkedHashMap<>();

        void apply(Map<String, byte[]> records, long at) throws RejectedException {
            for (Map.Entry<String, byte[]> r : records.entrySet()) {
                String k = r.getKey();
                if (k.equals("path")) path = Optional.of(utf8(r.getValue(), at, k));
                else if (k.equals("linkpath")) linkPath = Optional.of(utf8(r.getValue(), at, k));
                else if (k.equals("size")) {
                    String v = utf8(r.getValue(), at, k);
                    if (!v.matches("\\d{1,18}")) throw new RejectedException("bad PAX size '" + v + "' at byte " + at);
                    size = Optional.of(Long.parseLong(v));
                } else if (k.startsWith("GNU.sparse.")) {
                    throw new RejectedException("sparse files are not supported (PAX " + k + " at byte " + at + ")");
                } else if (k.startsWith("SCHILY.xattr.")) {
                    xattrs.put(k.substring("SCHILY.xattr.".length()), r.getValue());
                }
            }
        }
    }

    private static String utf8(byte[] v, long at, String key) throws RejectedException {
        for (byte b : v) if (b == 0) throw new RejectedException("PAX " + key + " with a NUL byte at byte " + at);
        return new String(v, StandardCharsets.UTF_8);
    }

    /** PAX records {@code "<len> <key>=<value>\n"}; values are raw bytes (xattr values may be binary). */
    static Map<String, byte[]> pax(byte[] data, long at) throws RejectedException {
        Map<String, byte[]> out = new LinkedHashMap<>();
        int i = 0;
        while (i < data.length) {
            if (data[i] == 0) break; // NUL padding some writers leave after the last record
            int sp = i;
            while (sp < data.length && data[sp] >= '0' && data[sp] <= '9' && sp - i < 9) sp++;
            if (sp == i || sp >= data.length || data[sp] != ' ') throw badPax(at);
            int len = Integer.parseInt(new String(data, i, sp - i, StandardCharsets.US_ASCII));
            int end = i + len;
            if (len <= sp - i + 1 || end > data.length || data[end - 1] != '\n') throw badPax(at);
            int eq = sp + 1;
            while (eq < end - 1 && data[eq] != '=') eq++;
            if (eq >= end - 1 || eq == sp + 1) throw badPax(at);
            String key = new String(data, sp + 1, eq - sp - 1, StandardCharsets.UTF_8);
            out.put(key, java.util.Arrays.copyOfRange(data, eq + 1, end - 1));
            i = end;
        }
        return out;
    }

    private static RejectedException badPax(long at) {
        return new RejectedException("corrupt PAX extended header at byte " + at);
    }

    static String cString(byte[] b, int from, int len) {
        int end = from;
        while (end < from + len && b[end] != 0) end++;
        return new String(b, from, end - from, StandardCharsets.UTF_8);
    }

    /** One 512-byte header, checked: checksum, numeric fields. */
    private record Header(String name, char type, long size, String linkName, boolean ustar, String rawPrefix) {
        static Header parse(byte[] b, long at) throws RejectedException {
            long stored = octal(b, 148, 8, at, "checksum");
            long unsigned = 0;
            long signed = 0;
            for (int i = 0; i < BLOCK; i++) {
                int v = i >= 148 && i < 156 ? ' ' : b[i];
                unsigned += v & 0xff;
                signed += v;
            }
            if (stored != unsigned && stored != signed) {
                throw new RejectedException("corrupt tar header at byte " + at + ": checksum mismatch");
            }
            octal(b, 100, 8, at, "mode");
            long size = number(b, 124, 12, at, "size");
            boolean ustar = b[257] == 'u' && b[258] == 's' && b[259] == 't' && b[260] == 'a' && b[261] == 'r' && b[262] == 0;
            return new Header(cString(b, 0, 100), (char) (b[156] & 0xff), size, cString(b, 157, 100), ustar, cString(b, 345, 155));
        }

        /** Octal, or GNU base-256 when the first byte has its high bit set. */
        static long number(byte[] b, int off, int len, long at, String field) throws RejectedException {
            if ((b[off] & 0x80) != 0) {
                if ((b[off] & 0x40) != 0) throw new RejectedException("negative " + field + " at byte " + at);
                long v = b[off] & 0x3f;
                for (int i = off + 1; i < off + len; i++) {
                    if (v > (Long.MAX_VALUE >> 8)) throw new RejectedException(field + " out of range at byte " + at);
                    v = (v << 8) | (b[i] & 0xff);
                }
                return v;
            }
            return octal(b, off, len, at, field);
        }

        static long octal(byte[] b, int off, int len, long at, String field) throws RejectedException {
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
            if (i != end || digits == 0 && field.equals("checksum")) {
                throw new RejectedException("corrupt tar header at byte " + at + ": bad " + field + " field");
            }
            return v;
        }
    }
}
