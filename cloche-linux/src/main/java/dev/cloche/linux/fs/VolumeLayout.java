package dev.cloche.linux.fs;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where one container's volume lives, as the depot lays it out. Without a disk limit the overlay's upper and work
 * dirs are {@code upper} and {@code work}; with one they are {@code diskUpper} and {@code diskWork}, on the
 * filesystem in {@code diskImage} mounted at {@code disk}.
 *
 * @param merged where the overlay is mounted: the container's root filesystem
 * @param mountOptions where the overlay's mount options are recorded, so that it can be mounted there again
 */
public record VolumeLayout(Path merged, Path upper, Path work, Path diskImage, Path disk, Path diskUpper, Path diskWork,
                           Path mountOptions) {
    public VolumeLayout {
        Objects.requireNonNull(merged, "merged");
        Objects.requireNonNull(upper, "upper");
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(diskImage, "diskImage");
        Objects.requireNonNull(disk, "disk");
        Objects.requireNonNull(diskUpper, "diskUpper");
        Objects.requireNonNull(diskWork, "diskWork");
        Objects.requireNonNull(mountOptions, "mountOptions");
    }
}
