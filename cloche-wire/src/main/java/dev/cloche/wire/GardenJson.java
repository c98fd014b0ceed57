package dev.cloche.wire;

import static dev.cloche.wire.JsonIn.array;
import static dev.cloche.wire.JsonIn.bool;
import static dev.cloche.wire.JsonIn.field;
import static dev.cloche.wire.JsonIn.num;
import static dev.cloche.wire.JsonIn.object;
import static dev.cloche.wire.JsonIn.str;
import static dev.cloche.wire.JsonIn.strMap;
import static dev.cloche.wire.JsonIn.strings;
import static dev.cloche.wire.JsonIn.unsigned;

import dev.cloche.api.BandwidthLimits;
import dev.cloche.api.BindMount;
import dev.cloche.api.Capacity;
import dev.cloche.api.ContainerInfo;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerMetricsEntry;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PidLimits;
import dev.cloche.api.PortMapping;
import dev.cloche.api.ProcessLimits;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.ResourceLimits;
import dev.cloche.api.TtySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Garden's JSON for every API value, byte-compatible with Go's {@code encoding/json}: field names and order of the
 * Go structs, {@code omitempty}, {@code null} for nil slices and maps, durations as int64 nanoseconds, enums as
 * ints. Every {@code encode*} returns one value plus "\n"; every {@code decode*} accepts what Go's decoder accepts
 * (unknown keys ignored, missing = zero, case-insensitive keys) and throws {@link InvalidRequestException} otherwise.
 */
public final class GardenJson {
    private GardenJson() {}

    /** {@code {}} plus newline: the body of every "no result" answer. */
    public static final String EMPTY = "{}\n";

    // ---- ContainerSpec ----

    public static String encodeContainerSpec(ContainerSpec s) {
        return JsonOut.line(containerSpec(s));
    }

    static JsonObject containerSpec(ContainerSpec s) {
        return new JsonObject()
                .strOmit("handle", s.handle())
                .numOmit("grace_time", s.graceTime().toNanos())
                .strOmit("rootfs", s.rootfs())
                .put("image", image(s.image()))
                .listOmit("bind_mounts", s.bindMounts().stream().map(GardenJson::bindMount).toList())
                .strOmit("network", s.network())
                .mapOmit("properties", s.properties())
                .listOmit("env", s.env())
                .boolOmit("privileged", s.privileged())
                .put("limits", limits(s.limits()))
                .listOmit("netout_rules", s.netOut().stream().map(GardenJson::netOutRule).toList())
                .listOmit("netin", s.netIn().stream().map(p -> new JsonObject().put("host_port", p.hostPort()).put("container_port", p.containerPort())).toList());
    }

    public static ContainerSpec decodeContainerSpec(String json) {
        JsonNode n = JsonIn.parse(json);
        JsonIn.requireObject(n, "container spec");
        long grace = num(n, "grace_time");
        if (grace < 0) {
            throw new InvalidRequestException("grace_time must not be negative: " + grace);
        }
        return new ContainerSpec(str(n, "handle"), Duration.ofNanos(grace), str(n, "rootfs"), decodeImage(object(n, "image")),
                array(n, "bind_mounts").stream().map(GardenJson::decodeBindMount).toList(), str(n, "network"),
                strMap(n, "properties"), strings(n, "env"), bool(n, "privileged"), decodeLimits(object(n, "limits")),
                array(n, "netout_rules").stream().map(GardenJson::decodeNetOutRule).toList(),
                array(n, "netin").stream().map(GardenJson::decodePortPair).toList());
    }

    static JsonObject image(ImageRef i) {
        return new JsonObject().strOmit("uri", i.uri()).strOmit("username", i.username()).strOmit("password", i.password());
    }

    static ImageRef decodeImage(JsonNode n) {
        return new ImageRef(str(n, "uri"), str(n, "username"), str(n, "password"));
    }

    static JsonObject bindMount(BindMount b) {
        return new JsonObject().strOmit("src_path", b.srcPath()).strOmit("dst_path", b.dstPath())
                .numOmit("mode", b.mode().ordinal()).numOmit("origin", b.origin().ordinal());
    }

    static BindMount decodeBindMount(JsonNode n) {
        return new BindMount(str(n, "src_path"), str(n, "dst_path"), enumValue(BindMount.Mode.values(), n, "mode"),
                enumValue(BindMount.Origin.values(), n, "origin"));
    }

    private static <E extends Enum<E>> E enumValue(E[] values, JsonNode n, String key) {
        long v = num(n, key);
        if (v < 0 || v >= values.length) {
            throw new InvalidRequestException(key + ": unknown value " + v);
        }
        return values[(int) v];
    }

    private static PortMapping decodePortPair(JsonNode n) {
        return new PortMapping((int) unsigned(n, "host_port", 32), (int) unsigned(n, "container_port", 32));
    }

    // ---- limits ----

    static JsonObject limits(Limits l) {
        return new JsonObject().put("bandwidth_limits", bandwidth(l.bandwidth())).put("cpu_limits", cpu(l.cpu()))
                .put("disk_limits", disk(l.disk())).put("memory_limits", memory(l.memory()))
                .put("pid_limits", new JsonObject().numOmit("max", l.pid().max()));
    }

    static Limits decodeLimits(JsonNode n) {
        return new Limits(decodeBandwidth(object(n, "bandwidth_limits")), decodeCpu(object(n, "cpu_limits")),
                decodeDisk(object(n, "disk_limits")), decodeMemory(object(n, "memory_limits")),
                new PidLimits(unsigned(object(n, "pid_limits"), "max", 64)));
    }

    static JsonObject bandwidth(BandwidthLimits b) {
        return new JsonObject().numOmit("rate", b.rateInBytesPerSecond()).numOmit("burst", b.burstRateInBytesPerSecond());
    }

    static BandwidthLimits decodeBandwidth(JsonNode n) {
        return new BandwidthLimits(unsigned(n, "rate", 64), unsigned(n, "burst", 64));
    }

    static JsonObject cpu(CpuLimits c) {
        return new JsonObject().numOmit("weight", c.weight()).numOmit("limit_in_shares", c.limitInShares());
    }

    static CpuLimits decodeCpu(JsonNode n) {
        return new CpuLimits(unsigned(n, "weight", 64), unsigned(n, "limit_in_shares", 64));
    }

    static JsonObject disk(DiskLimits d) {
        return new JsonObject().numOmit("inode_soft", d.inodeSoft()).numOmit("inode_hard", d.inodeHard())
                .numOmit("byte_soft", d.byteSoft()).numOmit("byte_hard", d.byteHard()).numOmit("scope", d.scope().ordinal());
    }

    static DiskLimits decodeDisk(JsonNode n) {
        return new DiskLimits(unsigned(n, "inode_soft", 64), unsigned(n, "inode_hard", 64), unsigned(n, "byte_soft", 64),
                unsigned(n, "byte_hard", 64), enumValue(DiskLimits.DiskLimitScope.values(), n, "scope"));
    }

    static JsonObject memory(MemoryLimits m) {
        return new JsonObject().numOmit("limit_in_bytes", m.limitInBytes());
    }

    static MemoryLimits decodeMemory(JsonNode n) {
        return new MemoryLimits(unsigned(n, "limit_in_bytes", 64));
    }

    public static String encodeBandwidthLimits(BandwidthLimits b) {
        return JsonOut.line(bandwidth(b));
    }

    public static BandwidthLimits decodeBandwidthLimits(String json) {
        return decodeBandwidth(objectBody(json));
    }

    public static String encodeCpuLimits(CpuLimits c) {
        return JsonOut.line(cpu(c));
    }

    public static CpuLimits decodeCpuLimits(String json) {
        return decodeCpu(objectBody(json));
    }

    public static String encodeDiskLimits(DiskLimits d) {
        return JsonOut.line(disk(d));
    }

    public static DiskLimits decodeDiskLimits(String json) {
        return decodeDisk(objectBody(json));
    }

    public static String encodeMemoryLimits(MemoryLimits m) {
        return JsonOut.line(memory(m));
    }

    public static MemoryLimits decodeMemoryLimits(String json) {
        return decodeMemory(objectBody(json));
    }

    private static JsonNode objectBody(String json) {
        JsonNode n = JsonIn.parse(json);
        JsonIn.requireObject(n, "body");
        return n;
    }

    // ---- NetOutRule ----

    static JsonObject netOutRule(NetOutRule r) {
        JsonObject o = new JsonObject().numOmit("protocol", r.protocol().ordinal())
                .listOmit("networks", r.networks().stream().map(x -> new JsonObject().strOmit("start", x.start()).strOmit("end", x.end())).toList())
                .listOmit("ports", r.ports().stream().map(x -> new JsonObject().numOmit("start", x.start()).numOmit("end", x.end())).toList());
        r.icmps().ifPresent(i -> {
            JsonObject ic = new JsonObject().put("type", i.type());
            i.code().ifPresent(c -> ic.put("code", c));
            o.put("icmps", ic);
        });
        return o.boolOmit("log", r.log());
    }

    static NetOutRule decodeNetOutRule(JsonNode n) {
        JsonIn.requireObject(n, "net out rule");
        Optional<NetOutRule.IcmpControl> icmps = field(n, "icmps").map(i -> new NetOutRule.IcmpControl(
                (int) unsigned(i, "type", 8), JsonIn.optNum(i, "code").map(c -> {
                    if (c < 0 || c > 255) {
                        throw new InvalidRequestException("code: out of range: " + c);
                    }
                    return c.intValue();
                })));
        return new NetOutRule(enumValue(NetOutRule.Protocol.values(), n, "protocol"),
                array(n, "networks").stream().map(x -> new NetOutRule.IpRange(str(x, "start"), str(x, "end"))).toList(),
                array(n, "ports").stream().map(x -> new NetOutRule.PortRange((int) unsigned(x, "start", 16), (int) unsigned(x, "end", 16))).toList(),
                icmps, bool(n, "log"));
    }

    public static String encodeNetOutRule(NetOutRule r) {
        return JsonOut.line(netOutRule(r));
    }

    public static NetOutRule decodeNetOutRule(String json) {
        return decodeNetOutRule(JsonIn.parse(json));
    }

    /** BulkNetOut's body: a JSON array of rules ({@code null} reads as empty). */
    public static String encodeNetOutRules(List<NetOutRule> rules) {
        return JsonOut.line(rules.stream().map(GardenJson::netOutRule).toList());
    }

    public static List<NetOutRule> decodeNetOutRules(String json) {
        JsonNode n = JsonIn.parse(json);
        if (n.isNull()) {
            return List.of();
        }
        return JsonIn.asArray(n, "rules").stream().map(GardenJson::decodeNetOutRule).toList();
    }

    // ---- ProcessSpec ----

    public static String encodeProcessSpec(ProcessSpec p) {
        JsonObject o = new JsonObject().strOmit("id", p.id()).strOmit("path", p.path()).listOmit("args", p.args())
                .listOmit("env", p.env()).strOmit("dir", p.dir()).strOmit("user", p.user())
                .put("rlimits", rlimits(p.rlimits()));
        p.limits().ifPresent(l -> o.put("limits", new JsonObject().put("cpu_limits", cpu(l.cpu())).put("memory_limits", memory(l.memory()))));
        p.tty().ifPresent(t -> o.put("tty", tty(t)));
        o.put("image", image(p.image()));
        o.listOmit("bind_mounts", p.bindMounts().stream().map(GardenJson::bindMount).toList());
        return JsonOut.line(o);
    }

    public static ProcessSpec decodeProcessSpec(String json) {
        JsonNode n = objectBody(json);
        Optional<ProcessLimits> limits = field(n, "limits").map(l -> new ProcessLimits(decodeCpu(object(l, "cpu_limits")),
                decodeMemory(object(l, "memory_limits"))));
        return new ProcessSpec(str(n, "id"), str(n, "path"), strings(n, "args"), strings(n, "env"), str(n, "dir"),
                str(n, "user"), decodeRlimits(object(n, "rlimits")), limits, field(n, "tty").map(GardenJson::decodeTty),
                decodeImage(object(n, "image")), array(n, "bind_mounts").stream().map(GardenJson::decodeBindMount).toList());
    }

    static JsonObject rlimits(ResourceLimits r) {
        JsonObject o = new JsonObject();
        for (ResourceLimits.Rlimit k : ResourceLimits.Rlimit.values()) {
            Long v = r.limits().get(k);
            if (v != null) {
                o.put(k.wireName(), v);
            }
        }
        return o;
    }

    static ResourceLimits decodeRlimits(JsonNode n) {
        Map<ResourceLimits.Rlimit, Long> m = new EnumMap<>(ResourceLimits.Rlimit.class);
        for (ResourceLimits.Rlimit k : ResourceLimits.Rlimit.values()) {
            if (field(n, k.wireName()).isPresent()) {
                m.put(k, unsigned(n, k.wireName(), 64));
            }
        }
        return new ResourceLimits(m);
    }

    static JsonObject tty(TtySpec t) {
        JsonObject o = new JsonObject();
        t.windowSize().ifPresent(w -> o.put("window_size", new JsonObject().numOmit("columns", w.columns()).numOmit("rows", w.rows())));
        return o;
    }

    static TtySpec decodeTty(JsonNode n) {
        JsonIn.requireObject(n, "tty");
        return new TtySpec(field(n, "window_size").map(w -> new TtySpec.WindowSize((int) unsigned(w, "columns", 16),
                (int) unsigned(w, "rows", 16))));
    }

    // ---- responses ----

    public static String encodeCapacity(Capacity c) {
        return JsonOut.line(new JsonObject().numOmit("memory_in_bytes", c.memoryInBytes()).numOmit("disk_in_bytes", c.diskInBytes())
                .numOmit("schedulable_disk_in_bytes", c.schedulableDiskInBytes()).numOmit("max_containers", c.maxContainers()));
    }

    public static Capacity decodeCapacity(String json) {
        JsonNode n = objectBody(json);
        return new Capacity(unsigned(n, "memory_in_bytes", 64), unsigned(n, "disk_in_bytes", 64),
                unsigned(n, "schedulable_disk_in_bytes", 64), unsigned(n, "max_containers", 64));
    }

    /** Create's answer {@code {"Handle":h}}. */
    public static String encodeHandle(String handle) {
        return JsonOut.line(new JsonObject().put("Handle", handle));
    }

    public static String decodeHandle(String json) {
        return str(objectBody(json), "Handle");
    }

    /** List's answer {@code {"Handles":[...]}}. */
    public static String encodeHandles(List<String> handles) {
        return JsonOut.line(new JsonObject().listOrNull("Handles", handles));
    }

    public static List<String> decodeHandles(String json) {
        return strings(objectBody(json), "Handles");
    }

    public static String encodeProperties(Map<String, String> props) {
        return JsonOut.line(Map.copyOf(props));
    }

    public static Map<String, String> decodeProperties(String json) {
        JsonNode n = JsonIn.parse(json);
        return n.isNull() ? Map.of() : JsonIn.asStrMap(n, "properties");
    }

    /** Property GET answer and SetProperty body: {@code {"value":v}}. */
    public static String encodePropertyValue(String value) {
        return JsonOut.line(new JsonObject().put("value", value));
    }

    public static String decodePropertyValue(String json) {
        return str(objectBody(json), "value");
    }

    /** SetGraceTime's body: a bare int64 of nanoseconds. */
    public static String encodeGraceTime(Duration d) {
        return JsonOut.line(d.toNanos());
    }

    public static Duration decodeGraceTime(String json) {
        JsonNode n = JsonIn.parse(json);
        long ns = JsonIn.asNum(n, "grace_time");
        if (ns < 0) {
            throw new InvalidRequestException("grace time must not be negative: " + ns);
        }
        return Duration.ofNanos(ns);
    }

    /** Stop's body {@code {"kill":b}}. */
    public static String encodeStop(boolean kill) {
        return JsonOut.line(new JsonObject().put("kill", kill));
    }

    public static boolean decodeStop(String json) {
        return bool(objectBody(json), "kill");
    }

    /** NetIn's request body {@code {"handle","host_port","container_port"}} (omitempty). */
    public static String encodeNetInRequest(String handle, int hostPort, int containerPort) {
        return JsonOut.line(new JsonObject().strOmit("handle", handle).numOmit("host_port", hostPort).numOmit("container_port", containerPort));
    }

    /** NetIn's answer, and the ports of its request. */
    public static String encodeNetInResponse(PortMapping p) {
        return JsonOut.line(new JsonObject().numOmit("host_port", p.hostPort()).numOmit("container_port", p.containerPort()));
    }

    public static PortMapping decodeNetIn(String json) {
        return decodePortPair(objectBody(json));
    }

    // ---- ContainerInfo ----

    static JsonObject containerInfo(ContainerInfo i) {
        return new JsonObject().put("State", i.state()).listOrNull("Events", i.events()).put("HostIP", i.hostIp())
                .put("ContainerIP", i.containerIp()).put("ContainerIPv6", i.containerIpv6()).put("ExternalIP", i.externalIp())
                .put("ContainerPath", i.containerPath()).listOrNull("ProcessIDs", i.processIds())
                .mapOrNull("Properties", i.properties())
                .listOrNull("MappedPorts", i.mappedPorts().stream().map(p -> new JsonObject().put("HostPort", p.hostPort()).put("ContainerPort", p.containerPort())).toList());
    }

    /** Go's zero ContainerInfo, written next to an error in bulk answers. */
    static JsonObject zeroInfo() {
        return containerInfo(new ContainerInfo("", List.of(), "", "", "", "", "", List.of(), Map.of(), List.of()));
    }

    static ContainerInfo decodeInfo(JsonNode n) {
        return new ContainerInfo(str(n, "State"), strings(n, "Events"), str(n, "HostIP"), str(n, "ContainerIP"),
                str(n, "ContainerIPv6"), str(n, "ExternalIP"), str(n, "ContainerPath"), strings(n, "ProcessIDs"),
                strMap(n, "Properties"), array(n, "MappedPorts").stream()
                .map(p -> new PortMapping((int) unsigned(p, "HostPort", 32), (int) unsigned(p, "ContainerPort", 32))).toList());
    }

    public static String encodeContainerInfo(ContainerInfo i) {
        return JsonOut.line(containerInfo(i));
    }

    public static ContainerInfo decodeContainerInfo(String json) {
        return decodeInfo(objectBody(json));
    }

    public static String encodeBulkInfo(Map<String, ContainerInfoEntry> entries) {
        Map<String, Object> out = new LinkedHashMap<>();
        entries.forEach((h, e) -> out.put(h, new JsonObject().put("Info", e.info().map(GardenJson::containerInfo).orElseGet(GardenJson::zeroInfo))
                .put("Err", e.error().map(ErrorCodec::errorObject).orElse(null))));
        return JsonOut.line(out);
    }

    public static Map<String, ContainerInfoEntry> decodeBulkInfo(String json) {
        Map<String, ContainerInfoEntry> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : bulkEntries(json)) {
            Optional<JsonNode> err = field(e.getValue(), "Err");
            out.put(e.getKey(), err.isPresent()
                    ? ContainerInfoEntry.failed(ErrorCodec.decodeObject(err.get(), 500, Optional.empty()))
                    : ContainerInfoEntry.of(decodeInfo(object(e.getValue(), "Info"))));
        }
        return out;
    }

    private static Iterable<Map.Entry<String, JsonNode>> bulkEntries(String json) {
        JsonNode n = JsonIn.parse(json);
        if (n.isNull()) {
            return List.of();
        }
        JsonIn.requireObject(n, "bulk answer");
        List<Map.Entry<String, JsonNode>> out = new ArrayList<>();
        for (Map.Entry<String, JsonNode> e : n.properties()) {
            JsonIn.requireObject(e.getValue(), "bulk entry");
            out.add(e);
        }
        return out;
    }

    // ---- Metrics ----

    static JsonObject metrics(ContainerMetrics m) {
        JsonObject mem = new JsonObject();
        for (String f : ContainerMetrics.MemoryStat.FIELDS) {
            mem.put(f, m.memory().field(f));
            if (f.equals("total_swap")) {
                mem.put("TotalUsageTowardLimit", m.memory().totalUsageTowardLimit()); // Go struct order
            }
        }
        return new JsonObject().put("MemoryStat", mem)
                .put("CPUStat", new JsonObject().put("Usage", m.cpu().usage()).put("User", m.cpu().user()).put("System", m.cpu().system()))
                .put("DiskStat", new JsonObject().put("TotalBytesUsed", m.disk().totalBytesUsed()).put("TotalInodesUsed", m.disk().totalInodesUsed())
                        .put("ExclusiveBytesUsed", m.disk().exclusiveBytesUsed()).put("ExclusiveInodesUsed", m.disk().exclusiveInodesUsed()))
                .put("NetworkStat", m.network().map(x -> new JsonObject().put("RxBytes", x.rxBytes()).put("TxBytes", x.txBytes())).orElse(null))
                .put("PidStat", new JsonObject().put("Current", m.pid().current()).put("Max", m.pid().max()))
                .put("Age", m.age().toNanos())
                .put("CPUEntitlement", m.cpuEntitlement());
    }

    static JsonObject zeroMetrics() {
        return metrics(new ContainerMetrics(ContainerMetrics.MemoryStat.EMPTY, ContainerMetrics.CpuStat.EMPTY,
                ContainerMetrics.DiskStat.EMPTY, Optional.empty(), ContainerMetrics.PidStat.EMPTY, Duration.ZERO, 0));
    }

    static ContainerMetrics decodeMetricsNode(JsonNode n) {
        JsonNode mem = object(n, "MemoryStat");
        Map<String, Long> fields = new LinkedHashMap<>();
        for (String f : ContainerMetrics.MemoryStat.FIELDS) {
            long v = num(mem, f);
            if (v != 0) {
                fields.put(f, v);
            }
        }
        JsonNode cpu = object(n, "CPUStat");
        JsonNode disk = object(n, "DiskStat");
        JsonNode pid = object(n, "PidStat");
        return new ContainerMetrics(new ContainerMetrics.MemoryStat(fields, num(mem, "TotalUsageTowardLimit")),
                new ContainerMetrics.CpuStat(num(cpu, "Usage"), num(cpu, "User"), num(cpu, "System")),
                new ContainerMetrics.DiskStat(num(disk, "TotalBytesUsed"), num(disk, "TotalInodesUsed"),
                        num(disk, "ExclusiveBytesUsed"), num(disk, "ExclusiveInodesUsed")),
                field(n, "NetworkStat").map(x -> new ContainerMetrics.NetworkStat(num(x, "RxBytes"), num(x, "TxBytes"))),
                new ContainerMetrics.PidStat(num(pid, "Current"), num(pid, "Max")),
                Duration.ofNanos(num(n, "Age")), num(n, "CPUEntitlement"));
    }

    public static String encodeMetrics(ContainerMetrics m) {
        return JsonOut.line(metrics(m));
    }

    public static ContainerMetrics decodeMetrics(String json) {
        return decodeMetricsNode(objectBody(json));
    }

    public static String encodeBulkMetrics(Map<String, ContainerMetricsEntry> entries) {
        Map<String, Object> out = new LinkedHashMap<>();
        entries.forEach((h, e) -> out.put(h, new JsonObject().put("Metrics", e.metrics().map(GardenJson::metrics).orElseGet(GardenJson::zeroMetrics))
                .put("Err", e.error().map(ErrorCodec::errorObject).orElse(null))));
        return JsonOut.line(out);
    }

    public static Map<String, ContainerMetricsEntry> decodeBulkMetrics(String json) {
        Map<String, ContainerMetricsEntry> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : bulkEntries(json)) {
            Optional<JsonNode> err = field(e.getValue(), "Err");
            out.put(e.getKey(), err.isPresent()
                    ? ContainerMetricsEntry.failed(ErrorCodec.decodeObject(err.get(), 500, Optional.empty()))
                    : ContainerMetricsEntry.of(decodeMetricsNode(object(e.getValue(), "Metrics"))));
        }
        return out;
    }
}
