package dev.cloche.linux;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Who a container is, as each of its roles needs it.
 *
 * @param handle Garden's name for it, used in messages
 * @param id the runtime's id, also its depot entry's name
 * @param group its cgroup, relative to each hierarchy's root
 */
record ContainerIdentity(String handle, String id, String group, boolean privileged) {
    private static final Pattern RUNTIME_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");

    ContainerIdentity {
        Objects.requireNonNull(handle, "handle");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(group, "group");
    }

    /** Under the cgroup parent the container was made with, or {@code cgroupParent} if its entry does not say. */
    static ContainerIdentity of(DepotMeta meta, String cgroupParent) {
        return new ContainerIdentity(meta.handle(), meta.id(),
                "/" + meta.madeWith().cgroupParentOr(cgroupParent) + "/" + meta.id(), meta.privileged());
    }

    /** The runtime id of a handle: the handle where runtimes accept it, else a stable hash of it. */
    static String runtimeId(String handle) {
        if (RUNTIME_ID.matcher(handle).matches()) return handle;
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(handle.getBytes(StandardCharsets.UTF_8));
            return "h-" + HexFormat.of().formatHex(d, 0, 20);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
