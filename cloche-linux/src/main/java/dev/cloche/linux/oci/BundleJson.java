package dev.cloche.linux.oci;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** Writes {@link Bundle}s and {@link OciProcess}es as OCI runtime-spec JSON, and reads back the configs it wrote. */
public final class BundleJson {
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private BundleJson() {}

    public static String config(Bundle b) {
        return JSON.writeValueAsString(configTree(b));
    }

    /**
     * A config whose namespaces of the types in {@code joins} are joined at the given paths instead of created (a
     * pea's, docs/peas.md); the others are new.
     */
    public static String config(Bundle b, Map<String, String> joins) {
        Map<String, Object> c = configTree(b);
        @SuppressWarnings("unchecked")
        Map<String, Object> linux = (Map<String, Object>) c.get("linux");
        linux.put("namespaces", b.namespaces().stream().map(n -> joins.containsKey(n)
                ? ordered("type", n, "path", joins.get(n)) : Map.of("type", n)).toList());
        return JSON.writeValueAsString(c);
    }

    public static String process(OciProcess p) {
        return JSON.writeValueAsString(processTree(p));
    }

    /**
     * The bundle of a config written by {@link #config} (a container's {@code config.json}, from which its one-shot
     * containers are made): every field {@link #config} writes is read back, so {@code config(read(config(b)))} is
     * {@code config(b)}.
     */
    public static Bundle read(String config) {
        Map<String, Object> c = map(JSON.readValue(config, Map.class));
        Map<String, Object> linux = map(c.get("linux"));
        Map<String, Object> res = map(linux.get("resources"));
        List<Bundle.Mount> mounts = list(c.get("mounts")).stream().map(BundleJson::map)
                .map(m -> new Bundle.Mount(text(m.get("destination")), text(m.get("type")), text(m.get("source")),
                        strings(m.get("options")))).toList();
        List<Bundle.DeviceRule> deviceRules = list(res.get("devices")).stream().map(BundleJson::map)
                // configs written before device types were: a rule without one is for all devices
                .map(d -> new Bundle.DeviceRule(Boolean.TRUE.equals(d.get("allow")), d.get("type") == null ? "a" : text(d.get("type")),
                        optionalLong(d.get("major")), optionalLong(d.get("minor")), text(d.get("access")))).toList();
        Bundle.Resources resources = new Bundle.Resources(number(res, "memory", "limit"), number(res, "cpu", "shares"),
                number(res, "pids", "limit"), deviceRules);
        List<Bundle.Device> devices = linux.get("devices") == null ? List.of() : list(linux.get("devices")).stream()
                .map(BundleJson::map).map(d -> new Bundle.Device(text(d.get("path")), text(d.get("type")),
                        longValue(d.get("major")), longValue(d.get("minor")), (int) longValue(d.get("fileMode")),
                        longValue(d.get("uid")), longValue(d.get("gid")))).toList();
        Optional<Seccomp> seccomp = Optional.ofNullable(linux.get("seccomp")).map(BundleJson::map).map(BundleJson::readSeccomp);
        return new Bundle(text(map(c.get("root")).get("path")), text(c.get("hostname")),
                list(linux.get("namespaces")).stream().map(n -> text(map(n).get("type"))).toList(),
                readMappings(linux.get("uidMappings")), readMappings(linux.get("gidMappings")), mounts,
                text(linux.get("cgroupsPath")), resources, readProcess(map(c.get("process"))), strings(linux.get("maskedPaths")),
                strings(linux.get("readonlyPaths")), devices, seccomp);
    }

    private static Seccomp readSeccomp(Map<String, Object> s) {
        List<Seccomp.Rule> rules = list(s.get("syscalls")).stream().map(BundleJson::map).map(r -> new Seccomp.Rule(
                strings(r.get("names")), text(r.get("action")),
                r.get("errnoRet") == null ? OptionalLong.empty() : OptionalLong.of(longValue(r.get("errnoRet"))),
                r.get("args") == null ? List.of() : list(r.get("args")).stream().map(BundleJson::map)
                        .map(a -> new Seccomp.Arg((int) longValue(a.get("index")), longValue(a.get("value")),
                                longValue(a.get("valueTwo")), text(a.get("op")))).toList())).toList();
        return new Seccomp(text(s.get("defaultAction")), strings(s.get("architectures")), rules);
    }

    private static OciProcess readProcess(Map<String, Object> p) {
        Map<String, Object> user = map(p.get("user"));
        Map<String, Object> caps = map(p.get("capabilities"));
        List<OciProcess.Rlimit> rlimits = list(p.get("rlimits")).stream().map(BundleJson::map)
                .map(r -> new OciProcess.Rlimit(text(r.get("type")), longValue(r.get("hard")), longValue(r.get("soft")))).toList();
        Optional<OciProcess.ConsoleSize> console = Optional.ofNullable(p.get("consoleSize")).map(BundleJson::map)
                .map(s -> new OciProcess.ConsoleSize((int) longValue(s.get("height")), (int) longValue(s.get("width"))));
        return new OciProcess(strings(p.get("args")), strings(p.get("env")), text(p.get("cwd")), longValue(user.get("uid")),
                longValue(user.get("gid")), strings(caps.get("bounding")), !strings(caps.get("effective")).isEmpty(), rlimits,
                console);
    }

    private static List<Bundle.IdMapping> readMappings(Object ms) {
        return ms == null ? List.of() : list(ms).stream().map(BundleJson::map).map(m -> new Bundle.IdMapping(
                longValue(m.get("containerID")), longValue(m.get("hostID")), longValue(m.get("size")))).toList();
    }

    /** {@code tree.group.key}, 0 when the group is absent (a limit that is not set). */
    private static long number(Map<String, Object> tree, String group, String key) {
        Object g = tree.get(group);
        return g == null ? 0 : longValue(map(g).get(key));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> map(Object o) {
        if (o instanceof Map<?, ?> m) return (Map<String, Object>) m;
        throw new IllegalArgumentException("not an OCI config written by Cloche: expected an object, found " + o);
    }

    private static List<?> list(Object o) {
        if (o instanceof List<?> l) return l;
        throw new IllegalArgumentException("not an OCI config written by Cloche: expected an array, found " + o);
    }

    private static List<String> strings(Object o) {
        return list(o).stream().map(BundleJson::text).toList();
    }

    private static String text(Object o) {
        if (o instanceof String s) return s;
        throw new IllegalArgumentException("not an OCI config written by Cloche: expected a string, found " + o);
    }

    /** An optional number: absent is -1 (a device rule's wildcard). */
    private static long optionalLong(Object o) {
        return o == null ? -1 : longValue(o);
    }

    private static long longValue(Object o) {
        if (o instanceof Number n) return n.longValue();
        throw new IllegalArgumentException("not an OCI config written by Cloche: expected a number, found " + o);
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
        if (!b.devices().isEmpty()) {
            linux.put("devices", b.devices().stream().<Object>map(d -> ordered("path", d.path(), "type", d.type(),
                    "major", d.major(), "minor", d.minor(), "fileMode", d.fileMode(), "uid", d.uid(), "gid", d.gid())).toList());
        }
        b.seccomp().ifPresent(s -> linux.put("seccomp", seccomp(s)));
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
        // Guardian's sets: the inheritable set is the bounding set; only root's are permitted and effective (a
        // non-root process would lose them at execve anyway); none are ambient
        m.put("capabilities", ordered("bounding", p.capabilities(), "effective", eff, "inheritable", p.capabilities(),
                "permitted", eff));
        m.put("rlimits", p.rlimits().stream().map(r -> ordered("type", r.type(), "hard", r.hard(), "soft", r.soft())).toList());
        return m;
    }

    private static Map<String, Object> resources(Bundle.Resources r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("devices", r.devices().stream().<Object>map(BundleJson::deviceRule).toList());
        if (r.memoryLimit() > 0) m.put("memory", Map.of("limit", r.memoryLimit()));
        if (r.cpuShares() > 0) m.put("cpu", Map.of("shares", r.cpuShares()));
        if (r.pidsLimit() > 0) m.put("pids", Map.of("limit", r.pidsLimit()));
        return m;
    }

    private static Map<String, Object> deviceRule(Bundle.DeviceRule d) {
        Map<String, Object> m = ordered("allow", d.allow(), "type", d.type());
        if (d.major() >= 0) m.put("major", d.major());
        if (d.minor() >= 0) m.put("minor", d.minor());
        m.put("access", d.access());
        return m;
    }

    private static Map<String, Object> seccomp(Seccomp s) {
        List<Object> rules = new ArrayList<>();
        for (Seccomp.Rule r : s.syscalls()) {
            Map<String, Object> rule = ordered("names", r.names(), "action", r.action());
            r.errnoRet().ifPresent(e -> rule.put("errnoRet", e));
            if (!r.args().isEmpty()) {
                rule.put("args", r.args().stream().<Object>map(a -> ordered("index", a.index(), "value", a.value(),
                        "valueTwo", a.valueTwo(), "op", a.op())).toList());
            }
            rules.add(rule);
        }
        return ordered("defaultAction", s.defaultAction(), "architectures", s.architectures(), "syscalls", rules);
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
