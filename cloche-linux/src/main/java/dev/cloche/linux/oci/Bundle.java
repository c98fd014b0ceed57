package dev.cloche.linux.oci;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An immutable OCI runtime config (the subset Cloche sets), built up by {@link BundleRule}s and written by
 * {@link BundleJson}.
 */
public record Bundle(String rootPath, String hostname, List<String> namespaces, List<IdMapping> uidMappings,
                     List<IdMapping> gidMappings, List<Mount> mounts, String cgroupsPath, Resources resources,
                     OciProcess process, List<String> maskedPaths, List<String> readonlyPaths, List<Device> devices,
                     Optional<Seccomp> seccomp) {

    public Bundle {
        Objects.requireNonNull(rootPath, "rootPath");
        Objects.requireNonNull(hostname, "hostname");
        Objects.requireNonNull(cgroupsPath, "cgroupsPath");
        Objects.requireNonNull(resources, "resources");
        Objects.requireNonNull(process, "process");
        namespaces = List.copyOf(namespaces);
        uidMappings = List.copyOf(uidMappings);
        gidMappings = List.copyOf(gidMappings);
        mounts = List.copyOf(mounts);
        maskedPaths = List.copyOf(maskedPaths);
        readonlyPaths = List.copyOf(readonlyPaths);
        devices = List.copyOf(devices);
        Objects.requireNonNull(seccomp, "seccomp");
    }

    public static final Bundle EMPTY = new Bundle("", "", List.of(), List.of(), List.of(), List.of(), "",
            Resources.NONE, OciProcess.EMPTY, List.of(), List.of(), List.of(), Optional.empty());

    /** A uid/gid range of a user namespace. */
    public record IdMapping(long containerId, long hostId, long size) {}

    /** An OCI mount. */
    public record Mount(String destination, String type, String source, List<String> options) {
        public Mount {
            Objects.requireNonNull(destination, "destination");
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(source, "source");
            options = List.copyOf(options);
        }
    }

    /** cgroup limits, zero meaning unset, and the device cgroup's rules in order (the runtime adds its defaults). */
    public record Resources(long memoryLimit, long cpuShares, long pidsLimit, List<DeviceRule> devices) {
        public static final Resources NONE = new Resources(0, 0, 0, List.of());

        public Resources { devices = List.copyOf(devices); }
    }

    /**
     * A device cgroup rule: {@code type} is {@code a} (all), {@code c} or {@code b}; a negative major or minor is the
     * wildcard; {@code access} is a subset of {@code rwm}.
     */
    public record DeviceRule(boolean allow, String type, long major, long minor, String access) {
        public DeviceRule {
            Objects.requireNonNull(type, "type");
            Objects.requireNonNull(access, "access");
        }

        /** The rule that denies every device: the start of every container's list. */
        public static final DeviceRule DENY_ALL = new DeviceRule(false, "a", -1, -1, "rwm");

        /** Allows character device {@code major:minor} for read, write and mknod. */
        public static DeviceRule allowChar(long major, long minor) {
            return new DeviceRule(true, "c", major, minor, "rwm");
        }
    }

    /** A device node the runtime creates in the container's /dev. */
    public record Device(String path, String type, long major, long minor, int fileMode, long uid, long gid) {
        public Device {
            Objects.requireNonNull(path, "path");
            Objects.requireNonNull(type, "type");
        }
    }

    public Bundle withRootPath(String v) { return new Bundle(v, hostname, namespaces, uidMappings, gidMappings, mounts, cgroupsPath, resources, process, maskedPaths, readonlyPaths, devices, seccomp); }
    public Bundle withHostname(String v) { return new Bundle(rootPath, v, namespaces, uidMappings, gidMappings, mounts, cgroupsPath, resources, process, maskedPaths, readonlyPaths, devices, seccomp); }
    public Bundle withNamespaces(List<String> v) { return new Bundle(rootPath, hostname, v, uidMappings, gidMappings, mounts, cgroupsPath, resources, process, maskedPaths, readonlyPaths, devices, seccomp); }
    public Bundle withIdMappings(List<IdMapping> uids, List<IdMapping> gids) { return new Bundle(rootPath, hostname, namespaces, uids, gids, mounts, cgroupsPath, resources, process, maskedPaths, readonlyPaths, devices, seccomp); }
    public Bundle withMounts(List<Mount> v) { return new Bundle(rootPath, hostname, namespaces, uidMappings, gidMappings, v, cgroupsPath, resources, process, maskedPaths, readonlyPaths, devices, seccomp); }
    public Bundle withCgroup(String path, Resources r) { return new Bundle(rootPath, hostname, namespaces, uidMappings, gidMappings, mounts, path, r, process, maskedPaths, readonlyPaths, devices, seccomp); }
    public Bundle withProcess(OciProcess v) { return new Bundle(rootPath, hostname, namespaces, uidMappings, gidMappings, mounts, cgroupsPath, resources, v, maskedPaths, readonlyPaths, devices, seccomp); }
    public Bundle withMaskedPaths(List<String> masked, List<String> readonly) { return new Bundle(rootPath, hostname, namespaces, uidMappings, gidMappings, mounts, cgroupsPath, resources, process, masked, readonly, devices, seccomp); }
    public Bundle withDevices(List<Device> v) { return new Bundle(rootPath, hostname, namespaces, uidMappings, gidMappings, mounts, cgroupsPath, resources, process, maskedPaths, readonlyPaths, v, seccomp); }
    public Bundle withSeccomp(Optional<Seccomp> v) { return new Bundle(rootPath, hostname, namespaces, uidMappings, gidMappings, mounts, cgroupsPath, resources, process, maskedPaths, readonlyPaths, devices, v); }
}
