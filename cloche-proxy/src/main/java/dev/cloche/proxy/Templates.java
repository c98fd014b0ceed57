package dev.cloche.proxy;

import dev.cloche.api.BindMount;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits.DiskLimitScope;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Templates from a JSON file ({@code --proxy-config}): a list of objects, e.g.
 * {@code [{"name":"web","image":"/srv/images/web","command":["/bin/httpd","-f","-p","80"],"port":80,
 * "memory_mb":128,"cpu_shares":512,"pids":256,"disk_mb":512,"ttl":"30m","max":10,"binds":["/host/data:/data"]}]}.
 * Only name, command and port are required; a limit left out (or 0) is none; {@code disk_mb} limits what the
 * environment writes (its writable layer, Garden's exclusive scope). Readiness: {@code "ready": {"http": "/health"}}
 * or {@code {"tcp": 9000}} (an optional {@code "port"} beside {@code http}; the default is a TCP check of the
 * template's port), within {@code "ready_timeout"} (30s). Lifetime: {@code "ttl"} (fixed, 30m), or
 * {@code "idle_ttl"} with {@code "max_ttl"} (the hard maximum; {@code ttl} when left out). {@code "warm": N} keeps
 * N containers made ahead (0 to 64, default 0; {@link WarmPool}).
 */
public final class Templates {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private Templates() {}

    public static List<Template> fromJson(String text) {
        JsonNode root = JSON.readTree(text);
        if (!root.isArray() || root.isEmpty()) throw new IllegalArgumentException("proxy templates: expected a non-empty JSON list");
        List<Template> out = new ArrayList<>();
        for (JsonNode n : root) {
            List<String> command = new ArrayList<>();
            n.path("command").forEach(c -> command.add(c.asString()));
            List<BindMount> binds = new ArrayList<>();
            n.path("binds").forEach(b -> {
                String[] p = b.asString().split(":");
                if (p.length != 2) throw new IllegalArgumentException("proxy templates: bind must be HOST:CONTAINER, got " + b);
                binds.add(new BindMount(p[0], p[1], BindMount.Mode.RO, BindMount.Origin.HOST));
            });
            long diskBytes = n.path("disk_mb").asLong(0) << 20;
            Limits limits = Limits.NONE.withMemory(new MemoryLimits(n.path("memory_mb").asLong(0) << 20))
                    .withCpu(new CpuLimits(n.path("cpu_shares").asLong(0), 0))
                    .withPid(new PidLimits(n.path("pids").asLong(0)))
                    .withDisk(diskBytes == 0 ? DiskLimits.NONE : new DiskLimits(0, 0, 0, diskBytes, DiskLimitScope.EXCLUSIVE));
            int port = n.path("port").asInt(0);
            String name = n.path("name").asString("");
            out.add(new Template(name, n.path("image").asString(""), command, port, limits, binds, lifetime(n),
                    n.path("max").asInt(20), readiness(name, n.path("ready"), port),
                    duration(n.path("ready_timeout").asString("30s")), n.path("warm").asInt(0)));
        }
        return out;
    }

    private static Lifetime lifetime(JsonNode n) {
        Duration ttl = duration(n.path("ttl").asString("30m"));
        if (!n.has("idle_ttl")) {
            if (n.has("max_ttl")) throw new IllegalArgumentException("proxy templates: max_ttl needs idle_ttl (a fixed lifetime is ttl)");
            return new Lifetime.Fixed(ttl);
        }
        Duration max = n.has("max_ttl") ? duration(n.path("max_ttl").asString("")) : ttl;
        return new Lifetime.Idle(duration(n.path("idle_ttl").asString("")), max);
    }

    private static Readiness readiness(String template, JsonNode r, int port) {
        if (r.isMissingNode() || r.isNull()) return new Readiness.Tcp(port);
        if (r.has("http") && !r.has("tcp")) return new Readiness.Http(r.path("port").asInt(port), r.path("http").asString(""));
        if (r.has("tcp") && !r.has("http") && !r.has("port")) return new Readiness.Tcp(r.path("tcp").asInt(0));
        throw new IllegalArgumentException("proxy templates: template " + template
                + ": ready must be {\"http\": \"/path\"} (optionally with \"port\") or {\"tcp\": PORT}, got " + r);
    }

    /** {@code 90s}, {@code 30m}, {@code 2h}; also {@code 500ms}. */
    static Duration duration(String s) {
        String t = s.strip();
        if (t.length() < 2) throw new IllegalArgumentException("not a duration: '" + s + "' (use 90s, 30m, 2h)");
        if (t.endsWith("ms")) return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        long n = Long.parseLong(t.substring(0, t.length() - 1));
        return switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("not a duration: " + s + " (use 90s, 30m, 2h)");
        };
    }
}
