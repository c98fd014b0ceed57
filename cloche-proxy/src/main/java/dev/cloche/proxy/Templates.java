package dev.cloche.proxy;

import dev.cloche.api.BindMount;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Templates from a JSON file ({@code --proxy-config}): a list of objects, e.g.
 * {@code [{"name":"web","image":"/srv/images/web","command":["/bin/httpd","-f","-p","80"],"port":80,
 * "memory_mb":128,"ttl":"30m","max":10,"binds":["/host/data:/data"]}]}. Only name, command and port are required.
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
            out.add(new Template(n.path("name").asString(""), n.path("image").asString(""), command,
                    n.path("port").asInt(0), n.path("memory_mb").asLong(0) << 20, binds,
                    duration(n.path("ttl").asString("30m")), n.path("max").asInt(20)));
        }
        return out;
    }

    /** {@code 90s}, {@code 30m}, {@code 2h}. */
    static Duration duration(String s) {
        String t = s.strip();
        long n = Long.parseLong(t.substring(0, t.length() - 1));
        return switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("not a duration: " + s + " (use 90s, 30m, 2h)");
        };
    }
}
