package dev.cloche.tar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Optional;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Reads a tar archive entry by entry, on commons-compress's {@code TarArchiveInputStream} ({@link TarRecords}).
 * Refuses, with a {@link TarRejectedException}, what it cannot read faithfully: corrupt headers, entry types other
 * than files, directories, links, devices and FIFOs, data on entries that carry none, a PAX {@code size} that
 * differs from the header's, sparse files, extended headers over 1 MiB and archives truncated inside a record or
 * an entry's data. An archive may end without its end-of-archive record. The caller closes the source.
 */
public final class TarReader {
    private final Tap tap;
    private final TarRecords records;
    private final boolean keepHeaders;
    private Optional<TarEntry> current = Optional.empty();
    /** Data commons-compress will not frame (a file named like a directory), read here by its header's size. */
    private long ownDataLeft;
    private long ownPadding;
    private final byte[] skipBuffer = new byte[RawHeader.BLOCK];
    private final InputStream content = new Content();

    public TarReader(InputStream in) {
        this(in, false, false, TarRecords.GlobalHeaders.IGNORED);
    }

    /**
     * @param keepHeaders keep the bytes each {@link #next} takes (the previous entry's padding, extended headers,
     *     the header or the end-of-archive record) for {@link #passHeaders}
     * @param requireEnd refuse an archive that is empty or ends without an end-of-archive record
     */
    TarReader(InputStream in, boolean keepHeaders, boolean requireEnd, TarRecords.GlobalHeaders global) {
        this.tap = new Tap(in);
        this.records = new TarRecords(tap, requireEnd, global);
        this.keepHeaders = keepHeaders;
    }

    /** The next entry; empty at the end of the archive. Skips what is left of the current entry's data. */
    public Optional<TarEntry> next() throws IOException {
        // commons-compress skips the rest of the current entry's data and its padding first
        long previous = current.isPresent() ? records.header().offset() : -1;
        current = Optional.empty();
        tap.capture(keepHeaders);
        TarArchiveEntry e;
        try {
            skipOwnData();
            e = records.getNextEntry();
        } catch (TarRejectedException rejected) {
            throw rejected;
        } catch (IOException commons) {
            if (tap.failed()) throw commons;
            if (tap.eof()) {
                throw new TarRejectedException("truncated archive: " + (previous < 0 ? "the archive" : "the data of the entry at byte " + previous) + " ends early");
            }
            throw new TarRejectedException("corrupt archive near byte " + tap.offset() + ": " + commons.getMessage());
        } finally {
            tap.capture(false);
        }
        current = e == null ? Optional.empty() : Optional.of(entry(e, records.header(), records.extended()));
        // commons-compress takes a name ending in '/' for a directory whatever its type, and reads none of its data
        ownDataLeft = e != null && e.isDirectory() ? records.header().size() : 0;
        ownPadding = (RawHeader.BLOCK - ownDataLeft % RawHeader.BLOCK) % RawHeader.BLOCK;
        return current;
    }

    private static TarEntry entry(TarArchiveEntry e, RawHeader h, ExtendedHeaders x) throws TarRejectedException {
        if (x.size.isPresent() && x.size.get() != h.size()) {
            throw new TarRejectedException("PAX size " + x.size.get() + " differs from the header's " + h.size() + " at byte " + h.offset());
        }
        String name = x.path.or(() -> x.longName).orElse(h.headerName());
        String link = x.linkPath.or(() -> x.longLink).orElse(h.linkName());
        FileTime mtime = e.getLastModifiedTime();
        // commons-compress parses ids into an int; Linux ids are unsigned 32-bit
        long uid = x.uid.orElse(Integer.toUnsignedLong((int) e.getLongUserId()));
        long gid = x.gid.orElse(Integer.toUnsignedLong((int) e.getLongGroupId()));
        return new TarEntry(name, TarEntry.Type.of(h.type()).orElseThrow(), e.getMode(), uid, gid, h.size(), link,
                mtime == null ? Instant.EPOCH : mtime.toInstant(), x.xattrs);
    }

    /** The current entry's data; ends where the entry does. */
    public InputStream content() {
        return content;
    }

    /** The header of the current entry as read (for {@link HostileArchiveChecks}). */
    RawHeader header() {
        return records.header();
    }

    /** Writes the bytes the last {@link #next} took, exactly as read, to {@code out} (only with {@code keepHeaders}). */
    void passHeaders(OutputStream out) throws IOException {
        tap.drainCaptured(out);
    }

    /** The bytes the last {@link #next} took, as {@link #passHeaders} would write them. */
    byte[] takeHeaders() {
        return tap.takeCaptured();
    }

    /** The source past the end-of-archive record (record padding, usually), untouched by the reader. */
    InputStream rest() {
        return tap.rest();
    }

    /** Reading the source failed (its exception is not about the archive). */
    boolean sourceFailed() {
        return tap.failed();
    }

    /** Skips what is left of data read here, and its padding, as commons-compress does for the data it frames. */
    private void skipOwnData() throws IOException {
        long left = ownDataLeft + ownPadding;
        ownDataLeft = 0;
        ownPadding = 0;
        while (left > 0) {
            int n = tap.read(skipBuffer, 0, (int) Math.min(skipBuffer.length, left));
            if (n < 0) throw new IOException("Truncated TAR archive");
            left -= n;
        }
    }

    /** The current entry's data: commons-compress's, or read here for the one case it does not frame. */
    private final class Content extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (current.isEmpty()) return -1;
            try {
                if (ownDataLeft > 0) {
                    int n = tap.read(b, off, (int) Math.min(len, ownDataLeft));
                    if (n < 0) throw new IOException("Truncated TAR archive");
                    ownDataLeft -= n;
                    return n;
                }
                return records.read(b, off, len);
            } catch (IOException e) {
                if (tap.failed()) throw e;
                throw new TarRejectedException("truncated archive: the data of the entry at byte " + records.header().offset() + " ends early");
            }
        }
    }
}
