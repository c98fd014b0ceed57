package dev.cloche.linux.oci;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** Writes {@link Bundle}s and {@link OciProcess}es as OCI runtime-spec JSON. */
public final class BundleJson {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private BundleJson() {}

    public static String config(Bundle b) {
        return JSON.writeValueAsString(configTree(b));
    }

    public static String process(OciProcess p) {
        return JSON.writeValueAsString(processTree(p));
    }

    static Map<String, Object> configTree(Bundle b) {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("ociVersion", "1.0.2");
        c.put("process", processTree(b.process()));
        c.put("root", ordered("path", b.rootPath(), "readonly", false));
        c.put("hostname", b.hostname());
        List<Object> mounts = new ArrayList<>();
        for (Bundle.Mount m : b.mounts()) {
            mounts.add(ordered("destination", m.destination(), "type", m.type(), "source", m.source(), "options", m.options()));
        }
        c.put("mounts", mounts);
        Map<String, Object> linux = new LinkedHashMap<>();
        if (!b.uidMappings().isEmpty()) {
            linux.put("uidMappings", mappings(b.uidMappings()));
            linux.put("gidMappings", mappings(b.gidMappings()));
        }
        linux.put("namespaces", b.namespaces().stream().map(n -> Map.of("type", n)).toList());
        linux.put("cgroupsPath", b.cgroupsPath());
        linux.put("resources", resources(b.resources()));
        linux.put("maskedPaths", b.maskedPaths());
        linux.put("readonlyPaths", b.readonlyPaths());
        c.put("linux", linux);
        return c;
    }

    static Map<String, Object> processTree(OciProcess p) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("terminal", p.console().isPresent());
        // runc applies consoleSize before the process starts, so its first look at the window is right
        p.console().ifPresent(c -> m.put("consoleSize", ordered("height", c.rows(), "width", c.columns())));
        m.put("user", ordered("uid", p.uid(), "gid", p.gid()));
        m.put("args", p.args());
        m.put("env", p.env());
        m.put("cwd", p.cwd());
        List<String> eff = p.effectiveCapabilities() ? p.capabilities() : List.of();
        m.put("capabilities", ordered("bounding", p.capabilities(), "effective", eff, "inheritable", List.of(),
                "permitted", eff));
        m.put("rlimits", p.rlimits().stream().map(r -> ordered("type", r.type(), "hard", r.hard(), "soft", r.soft())).toList());
        return m;
    }

    private static Map<String, Object> resources(Bundle.Resources r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("devices", List.of(ordered("allow", r.allDevices(), "access", "rwm")));
        if (r.memoryLimit() > 0) m.put("memory", Map.of("limit", r.memoryLimit()));
        if (r.cpuShares() > 0) m.put("cpu", Map.of("shares", r.cpuShares()));
        if (r.pidsLimit() > 0) m.put("pids", Map.of("limit", r.pidsLimit()));
        return m;
    }

    private static List<Object> mappings(List<Bundle.IdMapping> ms) {
        return ms.stream().<Object>map(i -> ordered("containerID", i.containerId(), "hostID", i.hostId(), "size", i.size())).toList();
    }

    private static Map<String, Object> ordered(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }
}
