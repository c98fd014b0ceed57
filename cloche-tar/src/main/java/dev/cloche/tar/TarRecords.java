package dev.cloche.tar;

import java.io.IOException;
import java.util.Map;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * commons-compress's tar reader with the header records read here: each record is taken whole or the archive is
 * truncated, parsed and refused before commons-compress acts on it (docs/files.md §3), and extended headers are
 * consumed here ({@link ExtendedHeaders}), so commons-compress sees only entry headers and frames each entry's data
 * by its header's size, which is how busybox tar frames it.
 *
 * <p>After the first end-of-archive record the second is supplied, not read, so an archive that ends with one zero
 * block (as busybox's own does) is complete and nothing waits for a block that may never come.
 */
final class TarRecords extends TarArchiveInputStream {
    /** Largest GNU long name/link or PAX header accepted: far above PATH_MAX, small enough to buffer. */
    static final int MAX_EXTENDED = 1 << 20;

    /** Checks a global PAX header's records, which are not applied (busybox ignores them). */
    interface GlobalHeaders {
        GlobalHeaders IGNORED = (records, at) -> { };

        void check(Map<String, byte[]> records, long at) throws TarRejectedException;
    }

    private final Tap tap;
    private final boolean requireEnd;
    private final GlobalHeaders global;
    private final byte[] record = new byte[RawHeader.BLOCK];
    private ExtendedHeaders extended = new ExtendedHeaders();
    private Optional<RawHeader> header = Optional.empty();
    private boolean ended;

    /**
     * @param requireEnd an archive must end with an end-of-archive record; otherwise running out at a record
     *     boundary, or inside a record, ends it (what commons-compress does)
     */
    TarRecords(Tap tap, boolean requireEnd, GlobalHeaders global) {
        // block size 512: nothing is read past the end record to fill a 10 KiB block; lenient: an unreadable
        // uid, gid, mtime or device number is ignored (busybox ignores them too), size and mode are checked here
        super(tap, RawHeader.BLOCK, RawHeader.BLOCK, "UTF-8", true);
        this.tap = tap;
        this.requireEnd = requireEnd;
        this.global = global;
    }

    /** The header of the entry {@link #getNextEntry} returned last. */
    RawHeader header() {
        return header.orElseThrow();
    }

    /** The extended headers that came before that entry. */
    ExtendedHeaders extended() {
        return extended;
    }

    @Override
    protected byte[] readRecord() throws IOException {
        if (ended) return new byte[RawHeader.BLOCK];
        extended = new ExtendedHeaders();
        header = Optional.empty();
        boolean held = false; // an extended header (global ones too) waits for its entry
        while (true) {
            long at = tap.offset();
            int n = tap.readNBytes(record, 0, RawHeader.BLOCK);
            if (n < RawHeader.BLOCK) {
                ended = true;
                if (requireEnd) throw truncated(n, at);
                return null;
            }
            if (allZero(record)) {
                if (held) throw new TarRejectedException("truncated archive: an extended header at byte " + at + " has no entry");
                ended = true;
                tap.end();
                return record;
            }
            RawHeader h = RawHeader.parse(record, at);
            if (!h.extended()) {
                checkEntryHeader(h);
                header = Optional.of(h);
                return record;
            }
            byte[] data = readExtended(h);
            held = true;
            switch (h.type()) {
                case 'L', 'K' -> extended.longName(h.type(), data);
                case 'x' -> extended.pax(PaxRecords.parse(data, at), at);
                default -> global.check(PaxRecords.parse(data, at), at);
            }
        }
    }

    /** Types the codec reads, and no data on an entry that carries none: tars disagree whether such data follows. */
    private static void checkEntryHeader(RawHeader h) throws TarRejectedException {
        char t = h.type();
        Optional<TarEntry.Type> type = TarEntry.Type.of(t);
        if (type.isEmpty()) {
            throw new TarRejectedException("unsupported entry type '" + RawHeader.printable(t) + "' at byte " + h.offset());
        }
        if (type.get() != TarEntry.Type.FILE && h.size() != 0) {
            throw new TarRejectedException("entry at byte " + h.offset() + " of type '" + t + "' claims " + h.size() + " data bytes");
        }
    }

    private byte[] readExtended(RawHeader h) throws IOException {
        if (h.size() > MAX_EXTENDED) {
            throw new TarRejectedException("extended header at byte " + h.offset() + " of " + h.size() + " bytes (limit " + MAX_EXTENDED + ")");
        }
        int n = (int) h.size();
        byte[] data = new byte[n];
        int padding = (RawHeader.BLOCK - n % RawHeader.BLOCK) % RawHeader.BLOCK;
        long dataAt = h.offset() + RawHeader.BLOCK;
        if (tap.readNBytes(data, 0, n) < n) throw new TarRejectedException("truncated archive: it ends inside a block near byte " + dataAt);
        if (tap.readNBytes(new byte[padding], 0, padding) < padding) {
            throw new TarRejectedException("truncated archive: it ends inside a block near byte " + (dataAt + n));
        }
        return data;
    }

    private TarRejectedException truncated(int n, long at) {
        if (n > 0) return new TarRejectedException("truncated archive: it ends inside a block near byte " + at);
        return new TarRejectedException(at == 0 ? "the archive is empty"
                : "truncated archive: it ends at byte " + at + " without an end-of-archive marker");
    }

    private static boolean allZero(byte[] b) {
        for (byte x : b) if (x != 0) return false;
        return true;
    }
}
