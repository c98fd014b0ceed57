package dev.cloche.tar;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Copies an untrusted archive to an extracting tar, refusing it at the first entry {@link TarReader} or
 * {@link HostileArchiveChecks} refuses (docs/files.md §3). Headers are passed on byte for byte only after they
 * passed, so tar never sees a refused entry; data passes through as it is read.
 */
public final class GuardedTarCopy {
    private static final byte[] END_RECORD = new byte[RawHeader.BLOCK];

    /** Writing to the extracting tar failed (it exited): its own error says why. */
    public static final class SinkException extends IOException {
        SinkException(IOException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /**
     * What passed: the number of entries and, per entry path (normalized, relative to the destination), the
     * {@code SCHILY.xattr.*} extended attributes of regular files and directories, for the caller to apply.
     */
    public record Summary(int entries, Map<String, Map<String, byte[]>> xattrs) {}

    private GuardedTarCopy() {}

    /**
     * Copies {@code in} to {@code out} up to and including the end-of-archive record (the second end record is
     * supplied, so every tar agrees the archive ended), then reads and discards the rest of {@code in} (record
     * padding). Does not close either stream.
     *
     * @param allowDevices device and FIFO entries pass (privileged containers may make them)
     * @throws TarRejectedException the archive is hostile or corrupt; nothing from the offending header on was written
     * @throws SinkException writing to {@code out} failed
     * @throws IOException reading {@code in} failed
     */
    public static Summary copy(InputStream in, OutputStream out, boolean allowDevices) throws IOException {
        HostileArchiveChecks checks = new HostileArchiveChecks(allowDevices);
        TarReader reader = new TarReader(in, true, true, checks);
        Map<String, Map<String, byte[]>> xattrs = new LinkedHashMap<>();
        byte[] buffer = new byte[65536];
        int entries = 0;
        while (true) {
            Optional<TarEntry> next = reader.next();
            if (next.isEmpty()) {
                passHeaders(reader, out);
                write(out, END_RECORD, END_RECORD.length);
                try {
                    out.flush();
                } catch (IOException e) {
                    throw new SinkException(e);
                }
                reader.rest().transferTo(OutputStream.nullOutputStream());
                return new Summary(entries, xattrs);
            }
            TarEntry e = next.get();
            String path = checks.entry(e, reader.header());
            entries++;
            passHeaders(reader, out);
            // only where they can be restored: regular files and directories (user.* is refused on the rest)
            if (!e.xattrs().isEmpty() && (e.type() == TarEntry.Type.FILE || e.type() == TarEntry.Type.DIRECTORY)) xattrs.put(path, e.xattrs());
            InputStream data = reader.content();
            for (int n; (n = data.read(buffer, 0, buffer.length)) > 0; ) write(out, buffer, n);
        }
    }

    private static void passHeaders(TarReader reader, OutputStream out) throws SinkException {
        try {
            reader.passHeaders(out);
        } catch (IOException e) {
            throw new SinkException(e);
        }
    }

    private static void write(OutputStream out, byte[] b, int n) throws SinkException {
        try {
            out.write(b, 0, n);
        } catch (IOException e) {
            throw new SinkException(e);
        }
    }
}
