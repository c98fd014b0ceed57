package dev.cloche.linux.cgroup;

import java.nio.file.Path;

/** Factory for {@link Cgroups}. */
public final class CgroupFs {
    private CgroupFs() {}

    /** cgroup v1 controllers under {@code root}, plus cgroup2 at {@code root/unified} where present (hybrid). */
    public static Cgroups hybrid(Path root) {
        return new HybridCgroups(root);
    }

    /** A pure cgroup v2 host: one hierarchy at {@code root}. */
    public static Cgroups unified(Path root) {
        return new UnifiedCgroups(root);
    }

    /** What the host has: cgroup v2 alone has {@code cgroup.controllers} at the root; v1 and hybrid hosts do not. */
    public static Cgroups detect(Path root) {
        return isUnified(root) ? unified(root) : hybrid(root);
    }

    public static boolean isUnified(Path root) {
        return java.nio.file.Files.exists(root.resolve("cgroup.controllers"));
    }
}
