package dev.cloche.audit;

import dev.cloche.api.Caller;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * One audited call.
 *
 * @param time      when the call ended (its outcome known)
 * @param requestId the request id the log lines and events of the same call carry ({@code -} for the daemon's own work)
 * @param caller    who made the call
 * @param verb      what was done: {@code create}, {@code destroy}, {@code run}, {@code signal}, ... (docs/security.md)
 * @param handle    the container, when the call names one
 * @param processId the process, when the call names one
 * @param detail    a JSON object with the call's arguments, secrets already redacted ({@code {}} when there are none)
 * @param outcome   ok, or the error
 */
public record AuditRecord(Instant time, String requestId, Caller caller, String verb, Optional<String> handle,
                          Optional<String> processId, String detail, Outcome outcome) {
    public AuditRecord {
        Objects.requireNonNull(time, "time");
        Objects.requireNonNull(requestId, "requestId");
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(verb, "verb");
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(processId, "processId");
        Objects.requireNonNull(detail, "detail");
        Objects.requireNonNull(outcome, "outcome");
    }

    /**
     * How the call ended.
     *
     * @param error   empty when the call succeeded; else the error kind in lower case ({@code invalid_request},
     *                {@code container_not_found}, ..., {@code internal} for anything that is not a Garden error)
     * @param message the error's message
     */
    public record Outcome(Optional<String> error, Optional<String> message) {
        public static final Outcome OK = new Outcome(Optional.empty(), Optional.empty());

        public Outcome {
            Objects.requireNonNull(error, "error");
            Objects.requireNonNull(message, "message");
        }

        public static Outcome failed(String kind, String message) {
            return new Outcome(Optional.of(kind), Optional.ofNullable(message));
        }

        public boolean ok() {
            return error.isEmpty();
        }
    }
}
