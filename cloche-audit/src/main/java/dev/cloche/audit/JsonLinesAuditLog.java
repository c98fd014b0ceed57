package dev.cloche.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log as a JSON-lines file, root-only (0600, in a 0700 directory), opened for append only. Each record is
 * one {@code write(2)} of a whole line, so a record is in the kernel once {@link #append} returns and survives a
 * crash of the daemon (not of the host: no fsync per record, see docs/security.md). Rotated by size: when a record
 * would take the file past {@code maxBytes}, {@code audit.log} becomes {@code audit.log.1}, {@code .1} becomes
 * {@code .2}, ... and the oldest beyond {@code keep} is deleted.
 */
public final class JsonLinesAuditLog implements AuditLog {
    private static final Logger log = LoggerFactory.getLogger(JsonLinesAuditLog.class);

    private final Path file;
    private final long maxBytes;
    private final int keep;
    private FileChannel out;
    private long size;
    private boolean failing;
    private boolean closed;

    private JsonLinesAuditLog(Path file, long maxBytes, int keep) throws IOException {
        this.file = file;
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.out = open(file);
        this.size = out.size();
    }

    /**
     * Opens (creating) {@code file} for appending.
     *
     * @param maxBytes size after which the file is rotated (at least 4 KiB)
     * @param keep     how many rotated files are kept beside it (at least 1)
     */
    public static JsonLinesAuditLog open(Path file, long maxBytes, int keep) {
        Objects.requireNonNull(file, "file");
        if (maxBytes < 4096) {
            throw new IllegalArgumentException("audit log size limit must be at least 4 KiB, got " + maxBytes + " bytes");
        }
        if (keep < 1) {
            throw new IllegalArgumentException("audit log must keep at least 1 rotated file, got " + keep);
        }
        try {
            return new JsonLinesAuditLog(file.toAbsolutePath(), maxBytes, keep);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open audit log " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public void append(AuditRecord record) {
        byte[] line = (AuditJson.encode(record) + "\n").getBytes(StandardCharsets.UTF_8);
        synchronized (this) {
            if (closed) {
                return;
            }
            try {
                if (size > 0 && size + line.length > maxBytes) {
                    rotate();
                }
                ByteBuffer buf = ByteBuffer.wrap(line);
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
                size += line.length;
                if (failing) {
                    failing = false;
                    log.info("audit log {} writable again", file);
                }
            } catch (IOException | UncheckedIOException e) {
                // the call has happened and stands; say once per failing streak that its record is lost
                if (!failing) {
                    failing = true;
                    log.error("audit log {} not writable, records are being lost: {}", file, e.getMessage());
                }
            }
        }
    }

    private void rotate() throws IOException {
        out.close();
        Files.deleteIfExists(rotated(keep));
        for (int i = keep - 1; i >= 1; i--) {
            if (Files.exists(rotated(i))) {
                Files.move(rotated(i), rotated(i + 1), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Files.move(file, rotated(1), StandardCopyOption.REPLACE_EXISTING);
        out = open(file);
        size = out.size();
    }

    private Path rotated(int n) {
        return file.resolveSibling(file.getFileName() + "." + n);
    }

    private static FileChannel open(Path file) throws IOException {
        Path dir = file.getParent();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        }
        FileChannel ch = FileChannel.open(file, java.util.Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        // a file made by hand or by an older run keeps whatever mode it had: the log is root's only
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        return ch;
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } catch (IOException e) {
            log.warn("closing audit log {}: {}", file, e.getMessage());
        }
    }
}
