package dev.cloche.linux.image;

import dev.cloche.image.ImageConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * An image ready to be a container's rootfs: its id (the store's key, kept in the container's depot entry), the
 * overlay lower directories bottom to top, the config's process defaults, and its allocated size (for disk limits of
 * scope total).
 */
public record PreparedImage(String id, List<Path> lowerDirs, ImageConfig config, long bytes, long inodes) {
    public PreparedImage {
        Objects.requireNonNull(id, "id");
        lowerDirs = List.copyOf(lowerDirs);
        Objects.requireNonNull(config, "config");
        if (lowerDirs.isEmpty()) throw new IllegalArgumentException("an image has at least one lower directory");
    }
}
