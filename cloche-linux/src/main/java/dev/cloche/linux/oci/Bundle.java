package dev.cloche.linux.oci;

import java.util.List;
import java.util.Objects;

/**
 * An immutable OCI runtime config (the subset Cloche sets), built up by {@link BundleRule}s and written by
 * {@link BundleJson}.
 */
public record Bundle(String rootPath, String hostname, List<String> namespaces, List<IdMapping> uidMappings,
                     List<IdMapping> gidMappings, List<Mount> mounts, String cgroupsPath, Resources resources,
                     OciProcess process, List<String> maskedPaths, List<String> readonlyPaths) {

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
    }

    public static final Bundle EMPTY = new Bundle("", "", List.of(), List.of(), List.of(), List.of(), "",
            Resources.NONE, OciProcess.EMPTY, List.of(), List.of());

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

    /** cgroup limits; zero means unset. */
    public record Resources(long memoryLimit, long cpuShares, long pidsLimit, boolean allDevices) {
        public static final Resources NONE = new Resources(0, 0, 0, false);
    }

    public Bundle withRootPath(String v) { return new Bundle(v, hostname, namespaces, uidMappings, gidMappings, mounts, cgroupsPath, resources, process, maskedPaths, readonlyPaths); }
    public Bundle withHostname(String v) { return new Bundle(rootPath, v, namespaces, uidMappings, gidMappings, mounts, cgroupsPath, resources, process, maskedPaths, readonlyPaths); }
    public Bundle withNamespaces(List<String> v) { return new Bundle(rootPath, hostname, v, uidMappings, gidMappings, mounts, cgroupsPath, resources, process, maskedPaths, readonlyPaths); }
    public Bundle withIdMappings(List<IdMapping> uids, List<IdMapping> gids) { return new Bundle(rootPath, hostname, namespaces, uids, gids, mounts, cgroupsPath, resources, process, maskedPaths, readonlyPaths); }
    public Bundle withMounts(List<Mount> v) { return new Bundle(rootPath, hostname, namespaces, uidMappings, gidMappings, v, cgroupsPath, resources, process, maskedPaths, readonlyPaths); }
    public Bundle withCgroup(String path, Resources r) { return new Bundle(rootPath, hostname, namespaces, uidMappings, gidMappings, mounts, path, r, process, maskedPaths, readonlyPaths); }
    public Bundle withProcess(OciProcess v) { return new Bundle(rootPath, hostname, namespaces, uidMappings, gidMappings, mounts, cgroupsPath, resources, v, maskedPaths, readonlyPaths); }
    public Bundle withMaskedPaths(List<String> masked, List<String> readonly) { return new Bundle(rootPath, hostname, namespaces, uidMappings, gidMappings, mounts, cgroupsPath, resources, process, masked, readonly); }
}
