package dev.cloche.linux;

import java.util.Objects;

/**
 * The daemon settings a container keeps for its whole life, recorded in its depot entry when it is made: a restarted
 * daemon manages it with these, whatever its own settings now (another {@code --runtime}, runtime root or cgroup
 * parent), or refuses to start when it cannot (docs/reliability.md). Entries made before this record read as
 * {@link #UNRECORDED}.
 *
 * @param runtime       runc or crun
 * @param runtimePath   the runtime's binary
 * @param runtimeRoot   the runtime's state directory ({@code --root})
 * @param cgroupParent  the parent of the container's cgroups
 * @param networkPrefix the prefix of its interfaces and nftables table; empty when made with networking off
 */
record MadeWith(String runtime, String runtimePath, String runtimeRoot, String cgroupParent, String networkPrefix) {
    static final MadeWith UNRECORDED = new MadeWith("", "", "", "", "");

    MadeWith {
        Objects.requireNonNull(runtime, "runtime");
        Objects.requireNonNull(runtimePath, "runtimePath");
        Objects.requireNonNull(runtimeRoot, "runtimeRoot");
        Objects.requireNonNull(cgroupParent, "cgroupParent");
        networkPrefix = networkPrefix == null ? "" : networkPrefix;
    }

    static MadeWith of(Settings s) {
        return new MadeWith(s.runtime(), s.runtimePath().toString(), s.runtimeRoot().toString(), s.cgroupParent(),
                s.net().enabled() ? s.net().prefix() : "");
    }

    boolean recorded() {
        return !runtime.isEmpty();
    }

    /** The cgroup parent it was made under; an unrecorded entry's is the daemon's {@code current} one. */
    String cgroupParentOr(String current) {
        return cgroupParent.isEmpty() ? current : cgroupParent;
    }
}
