package dev.cloche.linux.fs;

import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.Mounts;
import java.nio.file.Path;

/** Factory for the filesystem roles. */
public final class Volumizers {
    private Volumizers() {}

    public static Volumizer overlay(CommandRunner runner, Mounts mounts, long upperOwner) {
        return new OverlayVolumizer(runner, mounts, upperOwner);
    }

    public static ImageCache shiftingCache(CommandRunner runner, Path imagesDir, long rootHostId) {
        return new ShiftingImageCache(runner, imagesDir, rootHostId);
    }
}
