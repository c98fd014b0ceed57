package dev.cloche.audit;

import dev.cloche.api.Caller;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.databind.util.RawValue;

/** An audit record as one line of JSON, and back (docs/security.md, "Audit log", lists the fields). */
public final class AuditJson {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private AuditJson() {
    }

    /** The record as one line, without the newline. */
    public static String encode(AuditRecord r) {
        ObjectNode n = JSON.createObjectNode();
        n.put("time", r.time().toString());
        n.put("request", r.requestId());
        ObjectNode who = n.putObject("caller");
        Caller c = r.caller();
        who.put("transport", c.transport());
        who.put("address", c.address());
        c.uid().ifPresent(uid -> who.put("uid", uid));
        c.pid().ifPresent(pid -> who.put("pid", pid));
        c.subject().ifPresent(s -> who.put("subject", s));
        n.put("verb", r.verb());
        r.handle().ifPresent(h -> n.put("handle", h));
        r.processId().ifPresent(p -> n.put("process", p));
        n.putRawValue("detail", new RawValue(r.detail()));
        if (r.outcome().ok()) {
            n.put("outcome", "ok");
        } else {
            n.put("outcome", "error");
            n.put("error", r.outcome().error().orElseThrow());
            r.outcome().message().ifPresent(m -> n.put("message", m));
        }
        return JSON.writeValueAsString(n);
    }

    /** Parses one line; a line that is not an audit record (e.g. cut short by a crash) is empty. */
    public static Optional<AuditRecord> decode(String line) {
        try {
            JsonNode n = JSON.readTree(line);
            if (!n.isObject() || !n.path("verb").isString() || !n.path("time").isString()) {
                return Optional.empty();
            }
            JsonNode who = n.path("caller");
            Caller caller = new Caller(who.path("transport").asString("-"), who.path("address").asString("-"),
                    who.has("uid") ? OptionalInt.of(who.get("uid").asInt()) : OptionalInt.empty(),
                    who.has("pid") ? OptionalLong.of(who.get("pid").asLong()) : OptionalLong.empty(),
                    text(who, "subject"));
            AuditRecord.Outcome outcome = "ok".equals(n.path("outcome").asString(""))
                    ? AuditRecord.Outcome.OK
                    : new AuditRecord.Outcome(Optional.of(n.path("error").asString("unknown")), text(n, "message"));
            return Optional.of(new AuditRecord(Instant.parse(n.get("time").asString()), n.path("request").asString("-"),
                    caller, n.get("verb").asString(), text(n, "handle"), text(n, "process"),
                    n.has("detail") ? n.get("detail").toString() : "{}", outcome));
        } catch (JacksonException | java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> text(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v.asString());
    }
}
