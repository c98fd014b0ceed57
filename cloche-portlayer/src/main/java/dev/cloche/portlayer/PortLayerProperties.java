package dev.cloche.portlayer;

import dev.cloche.api.PortLayer.Config;
import dev.cloche.api.PortLayer.EntryPoint;
import dev.cloche.api.PortLayer.ExecConfig;
import dev.cloche.api.PortLayer.FileCopy;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * How the port layer keeps its configuration in container properties under {@value #NS}: that way it is versioned,
 * persisted and restored with the container, and Garden clients see it. The keys and their value encodings live here
 * alone.
 */
final class PortLayerProperties {
    static final String NS = "portlayer.";
    static final String ENTRY_DIR = NS + "entry.dir";
    static final String ENTRY_PATH = NS + "entry.path";
    static final String ENTRY_ARGS = NS + "entry.args";
    static final String PENDING = NS + "pending.";
    static final String MAIN_STARTED = NS + "main.started";
    static final String EXEC = NS + "exec.";

    private PortLayerProperties() {
    }

    static boolean reserved(String key) {
        return key.startsWith(NS);
    }

    static String execKey(String processId, String field) {
        return EXEC + processId + "." + field;
    }

    /** A file waiting for the next start: {@code <octal mode> <base64>}. */
    static String pendingValue(FileCopy f) {
        return Integer.toOctalString(f.mode()) + " " + Base64.getEncoder().encodeToString(f.content());
    }

    static FileCopy decodePending(String path, String value) {
        int sp = value.indexOf(' ');
        return new FileCopy(path, Integer.parseInt(value.substring(0, sp), 8), Base64.getDecoder().decode(value.substring(sp + 1)));
    }

    /** The configured main process, if an entry point was staged. */
    static Optional<EntryPoint> entryPoint(Map<String, String> p) {
        return p.containsKey(ENTRY_PATH) && !p.get(ENTRY_PATH).isEmpty()
                ? Optional.of(new EntryPoint(p.getOrDefault(ENTRY_DIR, ""), p.get(ENTRY_PATH), decodeArgs(p.getOrDefault(ENTRY_ARGS, "0"))))
                : Optional.empty();
    }

    /** A container's configuration read back from its properties (user properties are those outside the namespace). */
    static Config config(String id, long version, String containerPath, Map<String, String> p, long memory, long cpu) {
        Map<String, String> user = new TreeMap<>();
        List<String> pending = new ArrayList<>();
        Map<String, Map<String, String>> execs = new TreeMap<>();
        p.forEach((k, v) -> {
            if (!reserved(k)) {
                user.put(k, v);
            } else if (k.startsWith(PENDING)) {
                pending.add(k.substring(PENDING.length()));
            } else if (k.startsWith(EXEC)) {
                String rest = k.substring(EXEC.length());
                int dot = rest.lastIndexOf('.');
                if (dot > 0) {
                    execs.computeIfAbsent(rest.substring(0, dot), x -> new TreeMap<>()).put(rest.substring(dot + 1), v);
                }
            }
        });
        pending.sort(null);
        List<ExecConfig> execConfigs = new ArrayList<>();
        execs.forEach((pid, f) -> {
            if (f.containsKey("path")) {
                execConfigs.add(new ExecConfig(pid, new EntryPoint(f.getOrDefault("dir", ""), f.get("path"),
                        decodeArgs(f.getOrDefault("args", "0")))));
            }
        });
        return new Config(id, version, containerPath, entryPoint(p), memory, cpu, user, pending, execConfigs);
    }

    /** {@code <count>( <url-encoded arg>)*}: keeps empty arguments and any character, in one property value. */
    static String encodeArgs(List<String> args) {
        StringBuilder sb = new StringBuilder().append(args.size());
        for (String a : args) {
            sb.append(' ').append(URLEncoder.encode(a, StandardCharsets.UTF_8));
        }
        return sb.toString();
    }

    static List<String> decodeArgs(String s) {
        String[] parts = s.split(" ", -1);
        int n = Integer.parseInt(parts[0]);
        List<String> out = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            out.add(URLDecoder.decode(parts[i], StandardCharsets.UTF_8));
        }
        return out;
    }

    static Optional<Instant> instant(String s) {
        try {
            return Optional.of(Instant.parse(s));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }
}
