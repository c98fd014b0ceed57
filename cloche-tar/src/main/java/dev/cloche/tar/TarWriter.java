package dev.cloche.tar;

import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes a tar archive entry by entry, on commons-compress's {@code TarArchiveOutputStream}: ustar headers (magic
 * {@code ustar\0}, version {@code 00}), numbers too large for octal in GNU base-256, and one PAX header before an
 * entry whose name or link does not fit the header (over 100 bytes) or that has xattrs. That PAX header is
 * encoded here ({@link PaxRecords}): commons-compress encodes PAX values as UTF-8 strings, which binary xattr
 * values are not. Names are written as given (no leading '/' stripped).
 */
public final class TarWriter implements Closeable {
    private static final int NAME_FIELD = 100;

    private final TarArchiveOutputStream tar;

    public TarWriter(OutputStream out) {
        // one 512-byte record per block: the archive ends right after its two end records, as GNU tar -b1 writes
        tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_TRUNCATE); // the full name goes into our PAX header
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_STAR);
    }

    /** One whole archive with one entry, the way a single copied file travels. */
    public static byte[] archive(TarEntry entry, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 3 * RawHeader.BLOCK);
        try (TarWriter w = new TarWriter(out)) {
            w.write(entry, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    public void write(TarEntry entry, byte[] content) throws IOException {
        if (content.length != entry.size()) {
            throw new IllegalArgumentException(entry.name() + ": " + content.length + " bytes of content for a size of " + entry.size());
        }
        putEntry(entry);
        tar.write(content);
        tar.closeArchiveEntry();
    }

    /** Writes {@code entry} and exactly {@code entry.size()} bytes of {@code content}. */
    public void write(TarEntry entry, InputStream content) throws IOException {
        putEntry(entry);
        long copied = content.transferTo(tar); // the stream refuses more than the entry's size
        if (copied != entry.size()) throw new IOException(entry.name() + ": " + copied + " bytes of content for a size of " + entry.size());
        tar.closeArchiveEntry();
    }

    /** Writes the end-of-archive records and closes the stream. */
    @Override
    public void close() throws IOException {
        tar.close();
    }

    /** One PAX ({@code x}) header with these records, ready to go before an entry's own header. */
    static byte[] paxHeader(String name, Map<String, byte[]> records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            TarWriter w = new TarWriter(out);
            w.putPax(name, records);
            w.tar.flush(); // not finished: no end records
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private void putEntry(TarEntry e) throws IOException {
        Map<String, byte[]> records = new LinkedHashMap<>();
        if (tooLong(e.name())) records.put("path", e.name().getBytes(StandardCharsets.UTF_8));
        if (tooLong(e.linkName())) records.put("linkpath", e.linkName().getBytes(StandardCharsets.UTF_8));
        records.putAll(PaxRecords.xattrs(e.xattrs()));
        if (!records.isEmpty()) putPax(e.name(), records);
        TarArchiveEntry h = new TarArchiveEntry(e.name(), e.type().flag, true);
        h.setMode(e.mode());
        h.setUserId(e.uid());
        h.setGroupId(e.gid());
        h.setSize(e.size());
        h.setLinkName(e.linkName());
        h.setLastModifiedTime(FileTime.from(e.modified()));
        tar.putArchiveEntry(h);
    }

    private void putPax(String name, Map<String, byte[]> records) throws IOException {
        byte[] data = PaxRecords.encode(records);
        String base = name.replaceAll("/+$", "");
        base = base.substring(base.lastIndexOf('/') + 1);
        TarArchiveEntry pax = new TarArchiveEntry("./PaxHeaders/" + (base.isEmpty() || base.equals(".") ? "root" : base),
                TarConstants.LF_PAX_EXTENDED_HEADER_LC, true);
        pax.setMode(0644);
        pax.setSize(data.length);
        pax.setLastModifiedTime(FileTime.from(Instant.EPOCH));
        tar.putArchiveEntry(pax);
        tar.write(data);
        tar.closeArchiveEntry();
    }

    private static boolean tooLong(String name) {
        return name.getBytes(StandardCharsets.UTF_8).length > NAME_FIELD;
    }
}
