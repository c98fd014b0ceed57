package dev.cloche.audit;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/** Which records {@code cloche audit} shows: all that match every given criterion. */
public record AuditFilter(Optional<String> handle, Optional<String> verb, Optional<Instant> since) {
    public static final AuditFilter ALL = new AuditFilter(Optional.empty(), Optional.empty(), Optional.empty());

    public AuditFilter {
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(verb, "verb");
        Objects.requireNonNull(since, "since");
    }

    public boolean test(AuditRecord r) {
        return handle.map(h -> r.handle().equals(Optional.of(h))).orElse(true)
                && verb.map(v -> v.equals(r.verb())).orElse(true)
                && since.map(s -> !r.time().isBefore(s)).orElse(true);
    }
}
