package dev.cloche.linux.oci;

import dev.cloche.api.ContainerSpec;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What the bundle rules read: the user's spec plus the host facts decided earlier in the create recipe.
 *
 * @param rootfs the mounted root filesystem (the overlay's merged dir)
 * @param initBinary the host path of the container init, bind-mounted read-only
 * @param toolBinary the host path of a static busybox, bind-mounted read-only for stream in/out
 * @param hostCapabilities the capabilities this host lets us grant, as a bit mask (privileged containers get all of them)
 */
public record BundleInput(String id, ContainerSpec spec, Path rootfs, Path initBinary, Path toolBinary, String cgroupParent,
                          long hostCapabilities) {
    public BundleInput {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(rootfs, "rootfs");
        Objects.requireNonNull(initBinary, "initBinary");
        Objects.requireNonNull(toolBinary, "toolBinary");
        Objects.requireNonNull(cgroupParent, "cgroupParent");
    }
}
