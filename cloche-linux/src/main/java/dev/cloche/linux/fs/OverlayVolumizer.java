package dev.cloche.linux.fs;

import dev.cloche.api.GardenError;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.ProcFs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * overlayfs with upper/work/merged beside the bundle. Ownership of the upper dir's root decides the owner of the
 * merged root, so unprivileged containers get it chowned to their mapped root.
 */
final class OverlayVolumizer implements Volumizer {
    private final CommandRunner runner;
    private final long upperOwner;

    OverlayVolumizer(CommandRunner runner, long upperOwner) {
        this.runner = runner;
        this.upperOwner = upperOwner;
    }

    @Override
    public Path rootfs(Path containerDir) {
        return containerDir.resolve("merged");
    }

    /** Creates the overlay; {@code image} must be the (possibly shifted) lower dir. */
    @Override
    public Path create(Path image, Path containerDir) {
        Path upper = containerDir.resolve("upper");
        Path work = containerDir.resolve("work");
        Path merged = rootfs(containerDir);
        try {
            Files.createDirectories(upper);
            Files.createDirectories(work);
            Files.createDirectories(merged);
        } catch (IOException e) {
            throw GardenError.internal("cannot create overlay dirs in " + containerDir, e);
        }
        if (upperOwner >= 0) {
            String owner = Long.toString(upperOwner);
            runner.check(List.of("chown", owner + ":" + owner, upper.toString()));
        }
        runner.check(List.of("mount", "-t", "overlay", "overlay", "-o",
                "lowerdir=" + image + ",upperdir=" + upper + ",workdir=" + work, merged.toString()));
        return merged;
    }

    @Override
    public void destroy(Path containerDir) {
        Path merged = rootfs(containerDir);
        if (ProcFs.isMounted(merged)) {
            runner.check(List.of("umount", merged.toString()));
        }
        if (ProcFs.isMounted(merged)) {
            throw GardenError.internal("overlay still mounted at " + merged);
        }
        for (String part : List.of("merged", "work", "upper")) {
            Trees.deleteRecursively(containerDir.resolve(part));
        }
    }
}
