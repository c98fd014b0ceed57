package dev.cloche.console;

import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.OptionalLong;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * JSON of the console's NATS messages, in one place. Decoding is strict about types (a string limit or a numeric
 * task id is malformed) and lenient about unknown fields (newer schedulers may add some).
 */
public final class TaskCodec {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private TaskCodec() {}

    public static TaskStart decodeStart(byte[] payload) {
        JsonNode n = object(payload);
        JsonNode image = n.path("image");
        if (!image.isMissingNode() && !image.isNull() && !image.isString()) {
            throw new MalformedMessageException("image must be a string (an image reference, as Garden's image.uri)");
        }
        return new TaskStart(text(n, "task"), text(n, "secure_token"), limit(n, "memory_limit"), limit(n, "disk_limit"),
                image.isString() ? image.asString() : "", flag(n, "allow_forwarding"), flag(n, "record"),
                flag(n, "record_input"));
    }

    public static TaskStop decodeStop(byte[] payload) {
        return new TaskStop(text(object(payload), "task"));
    }

    public static Advertisement decodeAdvertisement(byte[] payload) {
        JsonNode n = object(payload);
        return new Advertisement(text(n, "id"), number(n, "available_memory"), number(n, "available_disk"));
    }

    public static TaskReply decodeReply(byte[] payload) {
        JsonNode n = object(payload);
        return new TaskReply(n.path("task").asString(""), n.path("ok").asBoolean(false), n.path("agent").asString(""),
                optionalText(n, "error"), optionalText(n, "ssh_host"), n.path("ssh_port").asInt(0));
    }

    public static byte[] encode(TaskStart s) {
        ObjectNode o = JSON.createObjectNode().put("task", s.task()).put("secure_token", s.secureToken());
        s.memoryLimitMiB().ifPresent(m -> o.put("memory_limit", m));
        s.diskLimitMiB().ifPresent(d -> o.put("disk_limit", d));
        if (!s.image().isEmpty()) o.put("image", s.image());
        if (s.allowForwarding()) o.put("allow_forwarding", true);
        if (s.record()) o.put("record", true);
        if (s.recordInput()) o.put("record_input", true);
        return bytes(o);
    }

    public static byte[] encode(TaskStop s) {
        return bytes(JSON.createObjectNode().put("task", s.task()));
    }

    public static byte[] encode(Advertisement a) {
        return bytes(JSON.createObjectNode().put("id", a.id()).put("available_memory", a.availableMemoryMiB())
                .put("available_disk", a.availableDiskMiB()));
    }

    public static byte[] encode(TaskReply r) {
        ObjectNode o = JSON.createObjectNode().put("task", r.task()).put("ok", r.ok()).put("agent", r.agent());
        r.error().ifPresent(e -> o.put("error", e));
        r.sshHost().ifPresent(h -> o.put("ssh_host", h).put("ssh_port", r.sshPort()));
        return bytes(o);
    }

    /** The task id of a payload if it has a well-formed one, for replies to otherwise malformed messages. */
    static String taskIdOrEmpty(byte[] payload) {
        try {
            JsonNode t = JSON.readTree(payload).path("task");
            return t.isString() && TaskStart.TASK_ID.matcher(t.asString()).matches() ? t.asString() : "";
        } catch (JacksonException e) {
            return "";
        }
    }

    static void requireTaskId(String task) {
        if (!TaskStart.TASK_ID.matcher(task).matches()) {
            throw new MalformedMessageException("task must match " + TaskStart.TASK_ID.pattern());
        }
    }

    static OptionalLong nonZero(OptionalLong limit, String field) {
        if (limit.isPresent() && limit.getAsLong() < 0) {
            throw new MalformedMessageException(field + " must not be negative");
        }
        return limit.isPresent() && limit.getAsLong() == 0 ? OptionalLong.empty() : limit;
    }

    private static JsonNode object(byte[] payload) {
        JsonNode n;
        try {
            n = JSON.readTree(payload);
        } catch (JacksonException e) {
            throw new MalformedMessageException("payload is not JSON: " + new String(payload, 0, Math.min(payload.length, 64), StandardCharsets.UTF_8));
        }
        if (n == null || !n.isObject()) {
            throw new MalformedMessageException("payload must be a JSON object");
        }
        return n;
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isString()) {
            throw new MalformedMessageException(field + " must be a string");
        }
        return v.asString();
    }

    private static Optional<String> optionalText(JsonNode n, String field) {
        JsonNode v = n.get(field);
        return v != null && v.isString() ? Optional.of(v.asString()) : Optional.empty();
    }

    /** An optional JSON boolean: absent or null is false, anything but a boolean is malformed. */
    private static boolean flag(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.isMissingNode() && !v.isNull() && !v.isBoolean()) {
            throw new MalformedMessageException(field + " must be true or false");
        }
        return v.isBoolean() && v.asBoolean();
    }

    private static OptionalLong limit(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            return OptionalLong.empty();
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new MalformedMessageException(field + " must be an integer number of MiB");
        }
        return OptionalLong.of(v.asLong());
    }

    private static long number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isIntegralNumber() || !v.canConvertToLong()) {
            // a number past 64 bits is as malformed as a string: the agent answers it and serves on
            throw new MalformedMessageException(field + " must be a 64-bit integer");
        }
        return v.asLong();
    }

    private static byte[] bytes(JsonNode n) {
        return JSON.writeValueAsBytes(n);
    }
}
