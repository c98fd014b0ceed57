package dev.cloche.wire;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.PortLayer;
import dev.cloche.api.Signal;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import tools.jackson.databind.JsonNode;

/**
 * The port layer's JSON (snake_case keys; absent optional values are left out), for server and client. The version
 * travels in the body and as the {@code ETag} / {@code If-Match} value {@code "<version>"}.
 */
public final class PortLayerJson {
    private PortLayerJson() {}

    public static final String EMPTY = "{}\n";

    /** {@code "<version>"}, a strong entity tag. */
    public static String etag(long version) {
        return "\"" + version + "\"";
    }

    /** The version in an If-Match value: exactly one strong tag {@code "<n>"}. */
    public static long versionOf(String ifMatch) {
        String v = ifMatch.strip();
        if (v.length() < 3 || v.charAt(0) != '"' || v.charAt(v.length() - 1) != '"') {
            throw new InvalidRequestException("If-Match must be one version tag like \"3\", got: " + ifMatch);
        }
        try {
            long n = Long.parseLong(v.substring(1, v.length() - 1));
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("If-Match must be one version tag like \"3\", got: " + ifMatch);
        }
    }

    // ---- staged changes (the body of a commit)

    public static String encodeChanges(PortLayer.Handle h) {
        JsonObject o = new JsonObject();
        h.entryPoint().ifPresent(ep -> o.put("entry_point", entryPoint(ep)));
        h.memoryLimit().ifPresent(m -> o.put("memory_limit", m));
        h.cpuShares().ifPresent(c -> o.put("cpu_shares", c));
        List<JsonObject> files = new ArrayList<>();
        for (PortLayer.FileCopy f : h.files()) {
            files.add(new JsonObject().put("path", f.path()).put("mode", f.mode())
                    .put("content", Base64.getEncoder().encodeToString(f.content())));
        }
        o.listOmit("files", files);
        o.mapOmit("set_properties", h.setProperties());
        o.listOmit("remove_properties", List.copyOf(h.removeProperties()));
        h.runState().ifPresent(s -> o.put("run_state", s.name()));
        return JsonOut.line(o);
    }

    /** The handle a commit request stands for: its id and version come from the path and If-Match. */
    public static PortLayer.Handle decodeChanges(String id, long version, String body) {
        JsonNode n = body.isBlank() ? JsonIn.emptyObject() : JsonIn.parse(body);
        JsonIn.requireObject(n, "changes");
        PortLayer.Handle h = PortLayer.Handle.of(id, version);
        Optional<JsonNode> ep = JsonIn.field(n, "entry_point");
        if (ep.isPresent()) {
            PortLayer.EntryPoint e = decodeEntryPoint(ep.get());
            h = h.withEntryPoint(e.dir(), e.path(), e.args());
        }
        Optional<Long> mem = JsonIn.optNum(n, "memory_limit");
        if (mem.isPresent()) {
            h = h.withMemoryLimit(mem.get());
        }
        Optional<Long> cpu = JsonIn.optNum(n, "cpu_shares");
        if (cpu.isPresent()) {
            h = h.withCpuShares(cpu.get());
        }
        for (JsonNode f : JsonIn.array(n, "files")) {
            byte[] content;
            try {
                content = Base64.getDecoder().decode(JsonIn.str(f, "content"));
            } catch (IllegalArgumentException e) {
                throw new InvalidRequestException("files: content must be base64: " + e.getMessage());
            }
            h = h.withFile(JsonIn.str(f, "path"), (int) JsonIn.unsigned(f, "mode", 16), content);
        }
        for (Map.Entry<String, String> e : JsonIn.strMap(n, "set_properties").entrySet()) {
            h = h.withProperty(e.getKey(), e.getValue());
        }
        for (String k : JsonIn.strings(n, "remove_properties")) {
            h = h.withoutProperty(k);
        }
        String rs = JsonIn.str(n, "run_state");
        if (!rs.isEmpty()) {
            h = h.withRunState(runState(rs));
        }
        return h;
    }

    // ---- small answers and requests

    public static String encodeCommitted(PortLayer.Committed c) {
        return JsonOut.line(new JsonObject().put("id", c.id()).put("version", c.version()));
    }

    public static PortLayer.Committed decodeCommitted(String body) {
        JsonNode n = JsonIn.parse(body);
        return new PortLayer.Committed(JsonIn.str(n, "id"), JsonIn.num(n, "version"));
    }

    public static String encodeIds(List<String> ids) {
        return JsonOut.line(new JsonObject().put("containers", List.copyOf(ids)));
    }

    public static List<String> decodeIds(String body) {
        return JsonIn.strings(JsonIn.parse(body), "containers");
    }

    public static String encodeExec(String dir, String path, List<String> args) {
        return JsonOut.line(entryPoint(new PortLayer.EntryPoint(dir, path, args)));
    }

    public static PortLayer.EntryPoint decodeExec(String body) {
        return decodeEntryPoint(JsonIn.parse(body));
    }

    public static String encodeProcessId(String id) {
        return JsonOut.line(new JsonObject().put("id", id));
    }

    public static String decodeProcessId(String body) {
        return JsonIn.str(JsonIn.parse(body), "id");
    }

    public static String encodeSignal(Signal s) {
        return JsonOut.line(new JsonObject().put("signal", s == Signal.KILL ? "KILL" : "TERM"));
    }

    public static Signal decodeSignal(String body) {
        return switch (JsonIn.str(JsonIn.parse(body), "signal")) {
            case "TERM", "TERMINATE" -> Signal.TERMINATE;
            case "KILL" -> Signal.KILL;
            default -> throw new InvalidRequestException("signal must be TERM or KILL");
        };
    }

    public static PortLayer.RunState runState(String s) {
        try {
            return PortLayer.RunState.valueOf(s);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("run state must be RUNNING or STOPPED, got: " + s);
        }
    }

    public static String encodeFile(PortLayer.FileContent f) {
        return JsonOut.line(new JsonObject().put("path", f.path()).put("mode", f.mode())
                .put("content", Base64.getEncoder().encodeToString(f.content())));
    }

    public static PortLayer.FileContent decodeFile(String body) {
        JsonNode n = JsonIn.parse(body);
        return new PortLayer.FileContent(JsonIn.str(n, "path"), (int) JsonIn.num(n, "mode"),
                Base64.getDecoder().decode(JsonIn.str(n, "content")));
    }

    // ---- configuration and state

    public static String encodeConfig(PortLayer.Config c) {
        JsonObject o = new JsonObject().put("id", c.id()).put("version", c.version()).put("container_path", c.containerPath());
        c.entryPoint().ifPresent(ep -> o.put("entry_point", entryPoint(ep)));
        o.put("memory_limit", c.memoryLimit()).put("cpu_shares", c.cpuShares()).put("properties", c.properties())
                .put("pending_files", c.pendingFiles());
        List<JsonObject> execs = new ArrayList<>();
        for (PortLayer.ExecConfig e : c.execs()) {
            execs.add(new JsonObject().put("id", e.id()).put("entry_point", entryPoint(e.entryPoint())));
        }
        return JsonOut.line(o.put("execs", execs));
    }

    public static PortLayer.Config decodeConfig(String body) {
        JsonNode n = JsonIn.parse(body);
        List<PortLayer.ExecConfig> execs = new ArrayList<>();
        for (JsonNode e : JsonIn.array(n, "execs")) {
            execs.add(new PortLayer.ExecConfig(JsonIn.str(e, "id"), decodeEntryPoint(JsonIn.object(e, "entry_point"))));
        }
        return new PortLayer.Config(JsonIn.str(n, "id"), JsonIn.num(n, "version"), JsonIn.str(n, "container_path"),
                JsonIn.field(n, "entry_point").map(PortLayerJson::decodeEntryPoint), JsonIn.num(n, "memory_limit"),
                JsonIn.num(n, "cpu_shares"), JsonIn.strMap(n, "properties"), JsonIn.strings(n, "pending_files"), execs);
    }

    public static String encodeState(PortLayer.State s) {
        List<JsonObject> execs = s.execs().stream().map(PortLayerJson::process).toList();
        return JsonOut.line(new JsonObject().put("id", s.id()).put("run_state", s.runState().name())
                .put("main", process(s.main())).put("execs", execs));
    }

    public static PortLayer.State decodeState(String body) {
        JsonNode n = JsonIn.parse(body);
        List<PortLayer.ProcessState> execs = JsonIn.array(n, "execs").stream().map(PortLayerJson::decodeProcess).toList();
        return new PortLayer.State(JsonIn.str(n, "id"), runState(JsonIn.str(n, "run_state")),
                decodeProcess(JsonIn.object(n, "main")), execs);
    }

    private static JsonObject process(PortLayer.ProcessState p) {
        JsonObject o = new JsonObject().put("id", p.id()).put("status", p.status().name());
        p.pid().ifPresent(v -> o.put("pid", v));
        p.exitCode().ifPresent(v -> o.put("exit_code", v));
        p.started().ifPresent(v -> o.put("started", v.toString()));
        p.finished().ifPresent(v -> o.put("finished", v.toString()));
        return o;
    }

    private static PortLayer.ProcessState decodeProcess(JsonNode n) {
        PortLayer.ProcessStatus status;
        try {
            status = PortLayer.ProcessStatus.valueOf(JsonIn.str(n, "status"));
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException("bad process status: " + JsonIn.str(n, "status"));
        }
        Optional<Long> pid = JsonIn.optNum(n, "pid");
        Optional<Long> code = JsonIn.optNum(n, "exit_code");
        return new PortLayer.ProcessState(JsonIn.str(n, "id"), status,
                pid.map(OptionalLong::of).orElse(OptionalLong.empty()),
                code.map(c -> OptionalInt.of(c.intValue())).orElse(OptionalInt.empty()),
                instant(n, "started"), instant(n, "finished"));
    }

    private static Optional<Instant> instant(JsonNode n, String key) {
        String s = JsonIn.str(n, key);
        if (s.isEmpty()) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(s));
        } catch (DateTimeParseException e) {
            throw new InvalidRequestException(key + ": not an ISO-8601 instant: " + s);
        }
    }

    private static JsonObject entryPoint(PortLayer.EntryPoint ep) {
        return new JsonObject().put("dir", ep.dir()).put("path", ep.path()).put("args", ep.args());
    }

    private static PortLayer.EntryPoint decodeEntryPoint(JsonNode n) {
        JsonIn.requireObject(n, "entry_point");
        return new PortLayer.EntryPoint(JsonIn.str(n, "dir"), JsonIn.str(n, "path"), JsonIn.strings(n, "args"));
    }

}
