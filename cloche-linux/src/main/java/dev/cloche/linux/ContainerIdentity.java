package dev.cloche.linux;

import java.util.Objects;

/**
 * Who a container is, as each of its roles needs it.
 *
 * @param handle Garden's name for it, used in messages
 * @param id the runtime's id, also its depot entry's name
 * @param group its cgroup, relative to each hierarchy's root
 */
record ContainerIdentity(String handle, String id, String group, boolean privileged) {
    ContainerIdentity {
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(group, "group");
    }

    static ContainerIdentity of(DepotMeta meta, String cgroupParent) {
        return new ContainerIdentity(meta.handle(), meta.id(), "/" + cgroupParent + "/" + meta.id(), meta.privileged());
    }
}
