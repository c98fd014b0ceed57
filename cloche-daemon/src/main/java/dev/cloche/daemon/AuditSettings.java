package dev.cloche.daemon;

import dev.cloche.audit.AuditLog;
import dev.cloche.audit.JsonLinesAuditLog;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the audit log goes and how it rotates ({@code --audit-log}, {@code --audit-log-max-mb},
 * {@code --audit-log-keep}).
 *
 * @param enabled false for {@code --audit-log none}
 * @param file    the file; empty means {@code <depot>/audit/audit.log}
 * @param maxMb   size in MiB after which the file is rotated
 * @param keep    rotated files kept
 */
public record AuditSettings(boolean enabled, Optional<Path> file, long maxMb, int keep) {
    public static final long DEFAULT_MAX_MB = 100;
    public static final int DEFAULT_KEEP = 5;
    /** On, under the depot. */
    public static final AuditSettings DEFAULT = new AuditSettings(true, Optional.empty(), DEFAULT_MAX_MB, DEFAULT_KEEP);
    public static final AuditSettings NONE = new AuditSettings(false, Optional.empty(), DEFAULT_MAX_MB, DEFAULT_KEEP);

    public AuditSettings {
        Objects.requireNonNull(file, "file");
        if (maxMb < 1) {
            throw new IllegalArgumentException("--audit-log-max-mb must be at least 1, got " + maxMb);
        }
        if (keep < 1) {
            throw new IllegalArgumentException("--audit-log-keep must be at least 1, got " + keep);
        }
    }

    /** The flags: {@code path} empty = under {@code depot}, {@code none} = off. */
    static AuditSettings parse(String path, String depot, long maxMb, int keep) {
        if (path.equals("none")) {
            return new AuditSettings(false, Optional.empty(), maxMb, keep);
        }
        return new AuditSettings(true, Optional.of(path.isEmpty() ? defaultFile(depot) : Path.of(path)), maxMb, keep);
    }

    static Path defaultFile(String depot) {
        return Path.of(depot, "audit", "audit.log");
    }

    /** Opens the log; {@code depot} places it when no file was given. */
    AuditLog open(String depot) {
        if (!enabled) {
            return AuditLog.none();
        }
        Path path = file.orElseGet(() -> defaultFile(depot));
        try {
            return JsonLinesAuditLog.open(path, maxMb << 20, keep);
        } catch (java.io.UncheckedIOException e) {
            // the daemon refuses to start rather than run unaudited; one line says why
            throw new IllegalArgumentException("--audit-log: " + e.getMessage() + " (give another PATH, or none)", e);
        }
    }
}
