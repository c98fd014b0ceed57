package dev.cloche.linux.cgroup;

import java.nio.file.Path;

/** Factory for {@link Cgroups}. */
public final class CgroupFs {
    private CgroupFs() {}

    /** cgroup v1 controllers under {@code root}, plus cgroup2 at {@code root/unified} where present (hybrid). */
    public static Cgroups hybrid(Path root) {
        return new HybridCgroups(root);
    }
}
