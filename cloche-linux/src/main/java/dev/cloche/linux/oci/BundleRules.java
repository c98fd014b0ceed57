package dev.cloche.linux.oci;

import dev.cloche.api.BindMount;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.ProcessLimits;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The ordered rules that turn a container spec into an OCI bundle, and the constants they share. */
public final class BundleRules {
    private BundleRules() {}

    /** Where the init binary appears in every container (Guardian's path). */
    public static final String INIT_PATH = "/tmp/garden-init";
    /** Where the static busybox used by stream in/out appears; busybox dispatches on a name starting with "busybox". */
    public static final String TOOL_PATH = "/tmp/busybox-garden";
    public static final String DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** Guardian maps container root to the "nobody"-like top uid and everything else 1:1. */
    public static final long MAX_UID = 4294967294L;
    public static final List<Bundle.IdMapping> ID_MAPPINGS = List.of(
            new Bundle.IdMapping(0, MAX_UID, 1), new Bundle.IdMapping(1, 1, MAX_UID - 1));
    /** Hostnames are limited to 64 bytes; Guardian keeps the last 49 characters of longer handles. */
    public static final int HOSTNAME_MAX = 49;

    /** Guardian's {@code unprivilegedMaxCaps}: the most any process of an unprivileged container gets. */
    public static final List<String> UNPRIVILEGED_CAPS = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID", "CAP_SETUID",
            "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_SETFCAP", "CAP_MKNOD",
            "CAP_AUDIT_WRITE");
    /**
     * Guardian's {@code nonRootMaxCaps}: a non-root process never gets more (bounding and inheritable), privileged
     * container or not; it is the unprivileged set plus CAP_SYS_ADMIN.
     */
    public static final List<String> NON_ROOT_MAX_CAPS = java.util.stream.Stream.concat(UNPRIVILEGED_CAPS.stream(),
            java.util.stream.Stream.of("CAP_SYS_ADMIN")).toList();
    /** Every capability the kernel numbers, in bit order (the index is the bit). */
    public static final List<String> ALL_CAPS = List.of(
            "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
            "CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
            "CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE",
            "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT",
            "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME", "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE",
            "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG",
            "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE");
    /**
     * Guardian's {@code privilegedMaxCaps}: capabilities 0 to 37 (CAP_CHOWN to CAP_AUDIT_READ); the later CAP_PERFMON,
     * CAP_BPF and CAP_CHECKPOINT_RESTORE are not in it.
     */
    public static final List<String> PRIVILEGED_CAPS = ALL_CAPS.subList(0, ALL_CAPS.indexOf("CAP_AUDIT_READ") + 1);
    /** runc's defaults. */
    public static final List<String> MASKED_PATHS = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi");
    public static final List<String> READONLY_PATHS = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
    /** Where the container's own cgroups appear, read-only, in unprivileged containers. */
    public static final String CGROUP_MOUNT = "/sys/fs/cgroup";
    /** FUSE, which privileged containers get as Guardian gives it: world read-write. */
    public static final Bundle.Device FUSE = new Bundle.Device("/dev/fuse", "c", 10, 229, 0666, 0, 0);
    /**
     * The devices a privileged container may use (Guardian's {@code allowedDevices}), after denying all: mknod of any
     * device, null, random, full, tty, zero, urandom, the ptys, ptmx, tun and fuse. runc and crun add the same
     * defaults of their own to every container.
     */
    public static final List<Bundle.DeviceRule> PRIVILEGED_DEVICE_RULES = List.of(Bundle.DeviceRule.DENY_ALL,
            new Bundle.DeviceRule(true, "c", -1, -1, "m"), new Bundle.DeviceRule(true, "b", -1, -1, "m"),
            Bundle.DeviceRule.allowChar(1, 3), Bundle.DeviceRule.allowChar(1, 8), Bundle.DeviceRule.allowChar(1, 7),
            Bundle.DeviceRule.allowChar(5, 0), Bundle.DeviceRule.allowChar(1, 5), Bundle.DeviceRule.allowChar(1, 9),
            Bundle.DeviceRule.allowChar(136, -1), Bundle.DeviceRule.allowChar(5, 2), Bundle.DeviceRule.allowChar(10, 200),
            Bundle.DeviceRule.allowChar(FUSE.major(), FUSE.minor()));
    /** The host lacks CAP_SYS_RESOURCE above a hard limit of 20000; 1024 is what Guardian's init gets. */
    public static final OciProcess.Rlimit NOFILE = new OciProcess.Rlimit("RLIMIT_NOFILE", 1024, 1024);

    /** The rules of a container's bundle, in the order they apply. */
    public static List<BundleRule<BundleInput>> standard() {
        return List.of(new RootfsRule(), new NamespacesRule(), new HostnameRule(), new MountsRule(), new CgroupRule(),
                new DevicesRule(), new InitProcessRule(), new MaskedPathsRule(), new SeccompRule());
    }

    public static Bundle build(BundleInput input) {
        return apply(Bundle.EMPTY, standard(), input);
    }

    /**
     * What makes a one-shot container of a stopped container's bundle (docs/files.md §2): one process on the same
     * root, mounts, user namespace and capabilities, in a cgroup of its own under the container's.
     */
    public record OneShot(OciProcess process, String cgroupsPath) {
        public OneShot {
            java.util.Objects.requireNonNull(process, "process");
            java.util.Objects.requireNonNull(cgroupsPath, "cgroupsPath");
        }
    }

    /** The rules of a one-shot container, applied to the container's own bundle. */
    public static List<BundleRule<OneShot>> oneShot() {
        return List.of(new OneShotRule());
    }

    public static Bundle oneShot(Bundle container, OneShot input) {
        return apply(container, oneShot(), input);
    }

    /**
     * What makes a pea's bundle of its container's (docs/peas.md). Everything the container's bundle rules decided
     * (capabilities, masked and read-only paths, the kernel file systems, devices, seccomp, id mappings) is kept as
     * it is; the pea changes its root, its mounts, its cgroup and its process, and joins the container's namespaces.
     *
     * @param rootfs the pea's own root filesystem (an overlay of its image)
     * @param cgroupsPath the pea's cgroup: under the container's, or beside it when it has limits of its own
     * @param limits the pea's own memory and CPU limits when it overrides the container's; empty: none of its own
     * @param etcFiles host files bound over the pea's (its container's /etc/hosts and /etc/resolv.conf), by destination
     * @param bindMounts the process spec's bind mounts; a container origin is a path in the pea's own rootfs
     */
    public record Pea(Path rootfs, String cgroupsPath, Optional<ProcessLimits> limits, Map<String, Path> etcFiles,
                      List<BindMount> bindMounts, OciProcess process) {
        public Pea {
            java.util.Objects.requireNonNull(rootfs, "rootfs");
            java.util.Objects.requireNonNull(cgroupsPath, "cgroupsPath");
            java.util.Objects.requireNonNull(limits, "limits");
            java.util.Objects.requireNonNull(process, "process");
            etcFiles = Map.copyOf(etcFiles);
            bindMounts = List.copyOf(bindMounts);
        }
    }

    /** The rules of a pea, applied to its container's own bundle. */
    public static List<BundleRule<Pea>> pea() {
        return List.of(new PeaRootRule(), new PeaMountsRule(), new PeaCgroupRule(), new PeaProcessRule());
    }

    public static Bundle pea(Bundle container, Pea input) {
        return apply(container, pea(), input);
    }

    /**
     * The namespaces a pea joins: every namespace of its container but the mount namespace, as the files of the
     * container's init {@code initPid}; the pea gets a mount namespace of its own (its own root).
     */
    public static Map<String, String> peaNamespacePaths(Bundle container, long initPid) {
        if (initPid <= 0) throw new IllegalArgumentException("no init pid: " + initPid);
        Map<String, String> joins = new LinkedHashMap<>();
        for (String ns : container.namespaces()) {
            if (ns.equals("mount")) continue;
            String file = switch (ns) {
                case "network" -> "net";
                default -> ns; // pid, ipc, uts, user and cgroup are named as their /proc/PID/ns files
            };
            joins.put(ns, "/proc/" + initPid + "/ns/" + file);
        }
        return joins;
    }

    private static <I> Bundle apply(Bundle b, List<BundleRule<I>> rules, I input) {
        for (BundleRule<I> rule : rules) {
            b = rule.apply(b, input);
        }
        return b;
    }

    /** The hostname for a handle: the handle itself, or its last {@value #HOSTNAME_MAX} characters. */
    public static String hostname(String handle) {
        return handle.length() > HOSTNAME_MAX ? handle.substring(handle.length() - HOSTNAME_MAX) : handle;
    }

    /**
     * The container's capability set, Guardian's, less what the host cannot grant: this VM lacks CAP_SYS_RESOURCE,
     * and a runtime asked for a capability outside its own bounding set fails with EPERM.
     */
    public static List<String> capabilities(boolean privileged, long hostCapabilities) {
        List<String> wanted = privileged ? PRIVILEGED_CAPS : UNPRIVILEGED_CAPS;
        return wanted.stream().filter(c -> {
            int bit = ALL_CAPS.indexOf(c);
            return bit < 64 && (hostCapabilities & (1L << bit)) != 0;
        }).toList();
    }

    /** What a non-root process of a container with {@code containerCaps} keeps (Guardian intersects the same way). */
    public static List<String> nonRootCapabilities(List<String> containerCaps) {
        return containerCaps.stream().filter(NON_ROOT_MAX_CAPS::contains).toList();
    }

    /**
     * The host ids behind a container's uid or gid: the identity in a privileged container, Guardian's mapping
     * ({@link #ID_MAPPINGS}) in an unprivileged one.
     */
    public static long hostId(long containerId, boolean privileged) {
        if (privileged) return containerId;
        for (Bundle.IdMapping m : ID_MAPPINGS) {
            if (containerId >= m.containerId() && containerId - m.containerId() < m.size()) {
                return m.hostId() + containerId - m.containerId();
            }
        }
        throw new IllegalArgumentException("container id " + containerId + " is not mapped");
    }

    /** Container env layered with {@code overrides} (same key replaces), then PATH added if absent. */
    public static List<String> layerEnv(List<String> base, List<String> overrides) {
        Map<String, String> env = new LinkedHashMap<>();
        for (String kv : base) env.put(key(kv), kv);
        for (String kv : overrides) env.put(key(kv), kv);
        env.putIfAbsent("PATH", DEFAULT_PATH);
        return List.copyOf(env.values());
    }

    static String key(String kv) {
        int eq = kv.indexOf('=');
        return eq < 0 ? kv : kv.substring(0, eq);
    }

    static final class RootfsRule implements BundleRule<BundleInput> {
        @Override public Bundle apply(Bundle b, BundleInput in) { return b.withRootPath(in.rootfs().toString()); }
    }

    static final class NamespacesRule implements BundleRule<BundleInput> {
        @Override
        public Bundle apply(Bundle b, BundleInput in) {
            List<String> ns = new ArrayList<>(List.of("pid", "mount", "uts", "ipc", "network"));
            if (in.spec().privileged()) {
                return b.withNamespaces(ns).withIdMappings(List.of(), List.of());
            }
            ns.add("user");
            return b.withNamespaces(ns).withIdMappings(ID_MAPPINGS, ID_MAPPINGS);
        }
    }

    static final class HostnameRule implements BundleRule<BundleInput> {
        @Override public Bundle apply(Bundle b, BundleInput in) { return b.withHostname(hostname(in.spec().handle())); }
    }

    static final class MountsRule implements BundleRule<BundleInput> {
        @Override
        public Bundle apply(Bundle b, BundleInput in) {
            List<Bundle.Mount> m = new ArrayList<>();
            m.add(new Bundle.Mount("/proc", "proc", "proc", List.of("nosuid", "noexec", "nodev")));
            m.add(new Bundle.Mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")));
            m.add(new Bundle.Mount("/dev/pts", "devpts", "devpts",
                    List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5")));
            m.add(new Bundle.Mount("/dev/shm", "tmpfs", "tmpfs", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
            m.add(new Bundle.Mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")));
            m.add(new Bundle.Mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")));
            if (!in.spec().privileged()) {
                // the runtime binds the container's own cgroup of each v1 hierarchy (on v2: its unified cgroup) here,
                // so a JVM reads its memory limit as Guardian's containers let it (Guardian: unprivileged only)
                m.add(new Bundle.Mount(CGROUP_MOUNT, "cgroup", "cgroup", List.of("ro", "nosuid", "noexec", "nodev")));
            }
            m.add(new Bundle.Mount(INIT_PATH, "bind", in.initBinary().toString(), List.of("bind", "ro", "nosuid")));
            m.add(new Bundle.Mount(TOOL_PATH, "bind", in.toolBinary().toString(), List.of("bind", "ro", "nosuid")));
            for (BindMount bm : in.spec().bindMounts()) {
                if (!bm.dstPath().startsWith("/")) {
                    throw new InvalidRequestException("bind mount destination must be absolute: " + bm.dstPath());
                }
                String source = switch (bm.origin()) {
                    case HOST -> bm.srcPath();
                    case CONTAINER -> containerSource(in.rootfs(), bm.srcPath());
                };
                m.add(new Bundle.Mount(bm.dstPath(), "bind", source,
                        List.of("bind", "rec", bm.mode() == BindMount.Mode.RO ? "ro" : "rw")));
            }
            return b.withMounts(m);
        }

        /** A CONTAINER-origin source lives inside the rootfs; a lexical normalisation keeps ".." from leaving it. */
        static String containerSource(Path rootfs, String src) {
            Path rel = Path.of("/").resolve(src).normalize();
            return rootfs.resolve(Path.of("/").relativize(rel)).toString();
        }
    }

    static final class CgroupRule implements BundleRule<BundleInput> {
        @Override
        public Bundle apply(Bundle b, BundleInput in) {
            Limits l = in.spec().limits();
            Bundle.Resources r = new Bundle.Resources(l.memory().limitInBytes(), l.cpu().effectiveShares(),
                    l.pid().max(), b.resources().devices());
            return b.withCgroup("/" + in.cgroupParent() + "/" + in.id(), r);
        }
    }

    /** Every container denies all devices but the runtime's defaults; a privileged one also gets Guardian's and FUSE. */
    static final class DevicesRule implements BundleRule<BundleInput> {
        @Override
        public Bundle apply(Bundle b, BundleInput in) {
            boolean privileged = in.spec().privileged();
            Bundle.Resources r = b.resources();
            List<Bundle.DeviceRule> rules = privileged ? PRIVILEGED_DEVICE_RULES : List.of(Bundle.DeviceRule.DENY_ALL);
            return b.withDevices(privileged ? List.of(FUSE) : List.of())
                    .withCgroup(b.cgroupsPath(), new Bundle.Resources(r.memoryLimit(), r.cpuShares(), r.pidsLimit(), rules));
        }
    }

    static final class InitProcessRule implements BundleRule<BundleInput> {
        @Override
        public Bundle apply(Bundle b, BundleInput in) {
            ContainerSpec s = in.spec();
            return b.withProcess(new OciProcess(List.of(INIT_PATH), layerEnv(s.env(), List.of()), "/", 0, 0,
                    capabilities(s.privileged(), in.hostCapabilities()), true, List.of(NOFILE)));
        }
    }

    static final class MaskedPathsRule implements BundleRule<BundleInput> {
        @Override
        public Bundle apply(Bundle b, BundleInput in) {
            return in.spec().privileged() ? b.withMaskedPaths(List.of(), List.of()) : b.withMaskedPaths(MASKED_PATHS, READONLY_PATHS);
        }
    }

    /** Guardian's allow-list for unprivileged containers (every process of theirs inherits it); none when privileged. */
    static final class SeccompRule implements BundleRule<BundleInput> {
        @Override
        public Bundle apply(Bundle b, BundleInput in) {
            return b.withSeccomp(in.spec().privileged() ? Optional.empty() : Optional.of(SeccompProfiles.unprivileged()));
        }
    }

    /** A pea's own root; the hostname is the container's (its UTS namespace), so none is set again. */
    static final class PeaRootRule implements BundleRule<Pea> {
        @Override public Bundle apply(Bundle b, Pea in) { return b.withRootPath(in.rootfs().toString()).withHostname(""); }
    }

    /**
     * The container's kernel file systems (proc, dev, sysfs, ...), not its bind mounts (the container's binds and its
     * init belong to the container, as in Guardian), then the container's /etc files, then the pea's own binds.
     */
    static final class PeaMountsRule implements BundleRule<Pea> {
        @Override
        public Bundle apply(Bundle b, Pea in) {
            List<Bundle.Mount> m = new ArrayList<>(b.mounts().stream().filter(x -> !x.type().equals("bind")).toList());
            in.etcFiles().entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e ->
                    m.add(new Bundle.Mount(e.getKey(), "bind", e.getValue().toString(), List.of("bind", "ro", "nosuid", "nodev"))));
            for (BindMount bm : in.bindMounts()) {
                if (!bm.dstPath().startsWith("/")) {
                    throw new InvalidRequestException("bind mount destination must be absolute: " + bm.dstPath());
                }
                String source = switch (bm.origin()) {
                    case HOST -> bm.srcPath();
                    case CONTAINER -> MountsRule.containerSource(in.rootfs(), bm.srcPath());
                };
                m.add(new Bundle.Mount(bm.dstPath(), "bind", source,
                        List.of("bind", "rec", bm.mode() == BindMount.Mode.RO ? "ro" : "rw")));
            }
            return b.withMounts(m);
        }
    }

    /**
     * Without limits of its own a pea's cgroup is a child of the container's, so the container's limits hold for
     * both together and its metrics count the pea; with them, it is a cgroup of its own with only those limits (no
     * pid limit), as Guardian places it. The container's device rules stay.
     */
    static final class PeaCgroupRule implements BundleRule<Pea> {
        @Override
        public Bundle apply(Bundle b, Pea in) {
            long memory = in.limits().map(l -> l.memory().limitInBytes()).orElse(0L);
            long shares = in.limits().map(l -> l.cpu().effectiveShares()).orElse(0L);
            return b.withCgroup(in.cgroupsPath(), peaResources(b.resources(), memory, shares));
        }

        private static Bundle.Resources peaResources(Bundle.Resources container, long memory, long shares) {
            return new Bundle.Resources(memory, shares, 0, container.devices());
        }
    }

    /** The pea's process replaces the init. */
    static final class PeaProcessRule implements BundleRule<Pea> {
        @Override public Bundle apply(Bundle b, Pea in) { return b.withProcess(in.process()); }
    }

    /** The one-shot's process replaces the init, and its cgroup the container's; the limits stay the container's. */
    static final class OneShotRule implements BundleRule<OneShot> {
        @Override
        public Bundle apply(Bundle b, OneShot in) {
            return b.withProcess(in.process()).withCgroup(in.cgroupsPath(), b.resources());
        }
    }
}
