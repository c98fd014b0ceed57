package dev.cloche.audit;

/**
 * Where audit records go: one record per state-changing call, appended in the order the calls ended. Appending never
 * throws into the audited call: a log that cannot write says so in the daemon's log and the call's outcome stands.
 */
public interface AuditLog extends AutoCloseable {
    void append(AuditRecord record);

    /** Stops appending and releases the file; records appended afterwards are dropped. Idempotent. */
    @Override
    void close();

    /** The log of a daemon run with {@code --audit-log none}: records are dropped. */
    static AuditLog none() {
        return new AuditLog() {
            @Override
            public void append(AuditRecord record) {
            }

            @Override
            public void close() {
            }
        };
    }
}
