package dev.cloche.wire;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.TtySpec;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Garden's {@code transport.ProcessPayload}, the only message on a Run/Attach connection (NDJSON, both ways).
 * Presence matters: {@code source:0}, {@code signal:0} and {@code exit_status:0} are meaningful, so those fields
 * are {@link Optional}s; empty strings mean absent for the ids (omitempty).
 */
public record ProcessPayload(String processId, String streamId, Optional<Integer> source, Optional<String> data,
                             Optional<Integer> exitStatus, Optional<String> error, Optional<TtySpec> tty,
                             Optional<Integer> signal) {

    /** transport.Stdin: the only source a client sends. */
    public static final int STDIN = 0;

    public ProcessPayload {
        Objects.requireNonNull(processId, "processId");
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(data, "data");
        Objects.requireNonNull(exitStatus, "exitStatus");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(tty, "tty");
        Objects.requireNonNull(signal, "signal");
    }

    private static ProcessPayload of(String pid) {
        return new ProcessPayload(pid, "", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    /** The server's first message: which process and which stream id to attach stdout/stderr to. */
    public static ProcessPayload hello(String pid, String streamId) {
        return new ProcessPayload(pid, streamId, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    public static ProcessPayload exit(String pid, int status) {
        return new ProcessPayload(pid, "", Optional.empty(), Optional.empty(), Optional.of(status), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    public static ProcessPayload failure(String pid, String message) {
        return new ProcessPayload(pid, "", Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(message),
                Optional.empty(), Optional.empty());
    }

    public static ProcessPayload stdin(String pid, String text) {
        return new ProcessPayload(pid, "", Optional.of(STDIN), Optional.of(text), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    public static ProcessPayload stdinEof(String pid) {
        return new ProcessPayload(pid, "", Optional.of(STDIN), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty());
    }

    public static ProcessPayload resize(String pid, TtySpec tty) {
        return new ProcessPayload(pid, "", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.of(tty), Optional.empty());
    }

    /** {@code signal}: 0 = terminate, 1 = kill. */
    public static ProcessPayload signal(String pid, int signal) {
        return new ProcessPayload(pid, "", Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of(signal));
    }

    /** One NDJSON line, in the Go struct's field order. */
    public String encode() {
        JsonObject o = new JsonObject().strOmit("process_id", processId).strOmit("stream_id", streamId);
        source.ifPresent(s -> o.put("source", s));
        data.ifPresent(d -> o.put("data", d));
        exitStatus.ifPresent(s -> o.put("exit_status", s));
        error.ifPresent(e -> o.put("error", e));
        tty.ifPresent(t -> o.put("tty", GardenJson.tty(t)));
        signal.ifPresent(s -> o.put("signal", s));
        return JsonOut.line(o);
    }

    /** Decodes one message; throws {@link InvalidRequestException} on malformed JSON. */
    public static ProcessPayload decode(String json) {
        JsonNode n = JsonIn.parse(json);
        JsonIn.requireObject(n, "process payload");
        return new ProcessPayload(JsonIn.str(n, "process_id"), JsonIn.str(n, "stream_id"), intField(n, "source"),
                JsonIn.field(n, "data").map(v -> JsonIn.asStr(v, "data")), intField(n, "exit_status"),
                JsonIn.field(n, "error").map(v -> JsonIn.asStr(v, "error")), JsonIn.field(n, "tty").map(GardenJson::decodeTty),
                intField(n, "signal"));
    }

    private static Optional<Integer> intField(JsonNode n, String key) {
        return JsonIn.optNum(n, key).map(v -> {
            if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw new InvalidRequestException(key + ": out of range: " + v);
            }
            return v.intValue();
        });
    }
}
