package dev.cloche.tar;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Adds extended attributes to a tar stream as it is read (docs/files.md §4): before each regular-file or directory
 * header it inserts a PAX header ({@link TarWriter#paxHeader}) with {@code SCHILY.xattr.*} records for the
 * attributes {@code lookup} returns for that entry's name. Everything else passes through byte for byte; anything
 * {@link TarReader} refuses ends the insertion, not the stream.
 */
public final class XattrInserter extends InputStream {
    private static final byte[] NONE = new byte[0];

    private final TarReader reader;
    private final Function<String, Map<String, byte[]>> lookup;
    private byte[] pending = NONE;
    private int pendingPos;
    private boolean inData;
    private boolean passThrough;

    public XattrInserter(InputStream in, Function<String, Map<String, byte[]>> lookup) {
        this.reader = new TarReader(in, true, false, TarRecords.GlobalHeaders.IGNORED);
        this.lookup = lookup;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) return 0;
        while (pendingPos >= pending.length) {
            if (passThrough) return reader.rest().read(b, off, len);
            if (inData) {
                int n = data(b, off, len);
                if (n >= 0) return n;
                inData = false;
                continue;
            }
            pendingPos = 0;
            pending = nextHeaders();
        }
        int n = Math.min(len, pending.length - pendingPos);
        System.arraycopy(pending, pendingPos, b, off, n);
        pendingPos += n;
        return n;
    }

    private int data(byte[] b, int off, int len) throws IOException {
        try {
            return reader.content().read(b, off, len);
        } catch (TarRejectedException truncated) {
            passThrough = true; // the stream ended inside the entry: so does the copy
            return -1;
        }
    }

    /** The bytes the reader took for the next entry, with a PAX header before its own when it has attributes. */
    private byte[] nextHeaders() throws IOException {
        TarEntry e;
        try {
            Optional<TarEntry> next = reader.next();
            if (next.isEmpty()) {
                passThrough = true; // end of archive: the rest is padding
                return reader.takeHeaders();
            }
            e = next.get();
        } catch (IOException unreadable) {
            if (reader.sourceFailed()) throw unreadable;
            passThrough = true;
            return reader.takeHeaders();
        }
        inData = true;
        byte[] taken = reader.takeHeaders();
        if (e.type() != TarEntry.Type.FILE && e.type() != TarEntry.Type.DIRECTORY) return taken;
        Map<String, byte[]> attrs = lookup.apply(e.name());
        if (attrs.isEmpty()) return taken;
        byte[] pax = TarWriter.paxHeader(e.name(), PaxRecords.xattrs(attrs));
        // the entry's own header is the last record taken; padding and GNU long names stay before the PAX header
        int header = taken.length - RawHeader.BLOCK;
        byte[] out = new byte[taken.length + pax.length];
        System.arraycopy(taken, 0, out, 0, header);
        System.arraycopy(pax, 0, out, header, pax.length);
        System.arraycopy(taken, header, out, header + pax.length, RawHeader.BLOCK);
        return out;
    }

    @Override
    public void close() throws IOException {
        reader.rest().close();
    }
}
