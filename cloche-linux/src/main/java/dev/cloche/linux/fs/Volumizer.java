package dev.cloche.linux.fs;

import java.nio.file.Path;

/** Gives each container a writable root filesystem over a read-only image. */
public interface Volumizer {

    /** Mounts the root filesystem for a container under {@code containerDir} and returns the mounted path. */
    Path create(Path image, Path containerDir);

    /** Unmounts and removes what {@link #create} made; missing parts count as removed. */
    void destroy(Path containerDir);

    /** The path {@link #create} mounts at. */
    Path rootfs(Path containerDir);
}
