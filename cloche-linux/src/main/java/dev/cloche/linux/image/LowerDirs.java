package dev.cloche.linux.image;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.linux.fs.Trees;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * An image's overlay lower directories, bottom to top: its layers as extracted for privileged containers, their
 * shifted copies for user-namespaced ones, or, when the {@code lowerdir=} option would not fit in its budget (overlay's
 * mount data is one page), the image flattened into one tree (shifted or not). Each copy is made once, even for
 * concurrent callers, in {@code tmp/} and renamed into place, and kept with what it copies.
 */
final class LowerDirs {
    private final StoreLayout layout;
    private final TreeCopier copier;
    private final long rootHostId;
    private final int lowerdirBudget;
    /** Renames into the store happen under its lock, so a collection never sees half of one. */
    private final Object storeLock;
    private final SingleFlight<Path, Path> copies = new SingleFlight<>();

    LowerDirs(StoreLayout layout, TreeCopier copier, long rootHostId, int lowerdirBudget, Object storeLock) {
        this.layout = layout;
        this.copier = copier;
        this.rootHostId = rootHostId;
        this.lowerdirBudget = lowerdirBudget;
        this.storeLock = storeLock;
    }

    /** The lower directories of image {@code id} with these (non-empty, distinct) layers, made if missing. */
    List<Path> prepare(String id, List<String> hexes, boolean privileged) {
        List<Path> dirs = hexes.stream().map(h -> privileged ? layout.layerDiff(h) : layout.layerShifted(h, rootHostId)).toList();
        if (optionLength(dirs) > lowerdirBudget) {
            Path flat = layout.flatTree(id, privileged, rootHostId);
            List<Path> stack = hexes.stream().map(layout::layerDiff).toList();
            copyOnce(flat, tree -> {
                Files.createDirectories(flat.getParent());
                copier.flatten(stack, tree, privileged ? -1 : rootHostId);
            });
            return List.of(flat);
        }
        if (!privileged) {
            for (String h : hexes) copyOnce(layout.layerShifted(h, rootHostId), tree -> copier.shiftedCopy(layout.layerDiff(h), tree, rootHostId));
        }
        return dirs;
    }

    /** The length of {@code lowerdir=A:B:...}. */
    static int optionLength(List<Path> dirs) {
        int n = "lowerdir=".length() + dirs.size() - 1;
        for (Path d : dirs) n += d.toString().getBytes(StandardCharsets.UTF_8).length;
        return n;
    }

    private interface Copy {
        /** Makes the copy at {@code tree}, which does not exist yet. */
        void into(Path tree) throws IOException;
    }

    private void copyOnce(Path target, Copy copy) {
        if (Files.isDirectory(target)) return;
        copies.run(target, () -> {
            if (Files.isDirectory(target)) return target;
            Path tmp = null;
            try {
                tmp = layout.newTemp();
                copy.into(tmp.resolve("tree"));
                synchronized (storeLock) {
                    StoreLayout.commit(tmp.resolve("tree"), target);
                }
                return target;
            } catch (IOException | RuntimeException e) {
                if (e instanceof GardenException g) throw g;
                if (String.valueOf(e.getMessage()).contains("No space left on device")) {
                    throw new ResourceExhaustedException("the image store's disk is full: cannot make " + target, e);
                }
                throw GardenError.internal("cannot make " + target + ": " + e, e);
            } finally {
                if (tmp != null) Trees.deleteRecursively(tmp);
            }
        });
    }
}
