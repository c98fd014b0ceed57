package dev.cloche.tar;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * What the GNU long name/link and local PAX headers before an entry say about it. They are read here rather than by
 * commons-compress so that values stay bytes (xattrs), long names end at their first NUL and a global ({@code g})
 * header is not applied: busybox, which extracts, reads them that way.
 */
final class ExtendedHeaders {
    Optional<String> longName = Optional.empty();
    Optional<String> longLink = Optional.empty();
    Optional<String> path = Optional.empty();
    Optional<String> linkPath = Optional.empty();
    Optional<Long> size = Optional.empty();
    Optional<Long> uid = Optional.empty();
    Optional<Long> gid = Optional.empty();
    final Map<String, byte[]> xattrs = new LinkedHashMap<>();

    void longName(char type, byte[] data) {
        String value = RawHeader.cString(data, 0, data.length);
        if (type == 'L') longName = Optional.of(value);
        else longLink = Optional.of(value);
    }

    /** Applies a local PAX header's records; refuses what the codec cannot honour. */
    void pax(Map<String, byte[]> records, long at) throws TarRejectedException {
        for (Map.Entry<String, byte[]> r : records.entrySet()) {
            String k = r.getKey();
            switch (k) {
                case "path" -> path = Optional.of(utf8(r.getValue(), at, k));
                case "linkpath" -> linkPath = Optional.of(utf8(r.getValue(), at, k));
                case "size" -> {
                    String v = utf8(r.getValue(), at, k);
                    if (!v.matches("\\d{1,18}")) throw new TarRejectedException("bad PAX size '" + v + "' at byte " + at);
                    size = Optional.of(Long.parseLong(v));
                }
                // ownership is informational (tar extracts as the caller); a malformed value is ignored as before
                case "uid" -> uid = decimal(r.getValue());
                case "gid" -> gid = decimal(r.getValue());
                default -> {
                    if (k.startsWith("GNU.sparse.")) {
                        throw new TarRejectedException("sparse files are not supported (PAX " + k + " at byte " + at + ")");
                    }
                    if (k.startsWith(PaxRecords.XATTR)) xattrs.put(k.substring(PaxRecords.XATTR.length()), r.getValue());
                }
            }
        }
    }

    static String utf8(byte[] v, long at, String key) throws TarRejectedException {
        for (byte b : v) if (b == 0) throw new TarRejectedException("PAX " + key + " with a NUL byte at byte " + at);
        return new String(v, StandardCharsets.UTF_8);
    }

    private static Optional<Long> decimal(byte[] v) {
        String s = new String(v, StandardCharsets.US_ASCII);
        return s.matches("\\d{1,18}") ? Optional.of(Long.parseLong(s)) : Optional.empty();
    }
}
