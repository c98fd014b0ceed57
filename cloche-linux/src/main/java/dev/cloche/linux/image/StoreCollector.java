package dev.cloche.linux.image;

import dev.cloche.api.GardenError;
import dev.cloche.linux.fs.Trees;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One collection of the store: under the index's lock, layers no image uses go first (a pull that failed half-way
 * leaves some), then unheld images least recently used first, each with the layers no remaining image uses, until
 * the store is back under its threshold (or everything unheld is gone, for a prune). Held and pinned images and
 * their layers are never touched. Removals are renames into {@code tmp/}; the trees are deleted after the lock is
 * released.
 */
final class StoreCollector {
    private static final Logger LOG = LoggerFactory.getLogger(StoreCollector.class);

    private final StoreIndex index;
    private final StoreLayout layout;
    private final long thresholdBytes;
    private final List<Path> retired = new ArrayList<>();
    private int images;
    private int layers;
    private long bytes;

    StoreCollector(StoreIndex index, StoreLayout layout, long thresholdBytes) {
        this.index = index;
        this.layout = layout;
        this.thresholdBytes = thresholdBytes;
    }

    /** @param all remove every unheld image (prune), not just enough to get under the threshold */
    PruneReport collect(boolean all) {
        try {
            synchronized (index) {
                if (!all && size() <= thresholdBytes) return new PruneReport(0, 0, 0);
                retireUnusedLayers();
                List<ImageRecord> unheld = index.records().values().stream()
                        .filter(r -> !index.inUse(r.id()))
                        .sorted(Comparator.comparingLong(ImageRecord::lastUsed)).toList();
                for (ImageRecord r : unheld) {
                    if (!all && size() <= thresholdBytes) break;
                    retireImage(r);
                    retireUnusedLayers();
                }
            }
        } catch (IOException e) {
            throw GardenError.internal("collecting the image store failed: " + e.getMessage(), e);
        } finally {
            for (Path p : retired) {
                try {
                    Trees.deleteRecursively(p);
                } catch (RuntimeException e) {
                    LOG.warn("cannot remove {} (removed at the next start): {}", p, e.getMessage());
                }
            }
        }
        if (images + layers > 0) LOG.info("image store: collected {} images and {} layers, {} bytes", images, layers, bytes);
        return new PruneReport(images, layers, bytes);
    }

    /** The store's size: layers, their shifted copies and flattened images (a flat tree counted as its image's size). */
    private long size() {
        long total = 0;
        for (var e : index.layers().entrySet()) {
            total += e.getValue().bytes() * (1 + shiftedCopies(e.getKey()).size());
        }
        for (ImageRecord r : index.records().values()) total += r.bytes() * flatTrees(r.id()).size();
        return total;
    }

    private void retireImage(ImageRecord r) throws IOException {
        index.records().remove(r.id());
        // the record goes first: a crash afterwards leaves unused layers (collected later), never a record without them
        Files.deleteIfExists(layout.record(r.id()));
        bytes += r.bytes() * flatTrees(r.id()).size();
        layout.retire(layout.flat(r.id())).ifPresent(retired::add);
        images++;
    }

    private void retireUnusedLayers() throws IOException {
        Set<String> used = new HashSet<>(index.pinnedLayers());
        for (ImageRecord r : index.records().values()) used.addAll(r.layerHexes());
        for (String hex : List.copyOf(index.layers().keySet())) {
            if (used.contains(hex)) continue;
            LayerRecord l = index.layers().remove(hex);
            bytes += l.bytes() * (1 + shiftedCopies(hex).size());
            layout.retire(layout.layer(hex)).ifPresent(retired::add);
            layers++;
        }
    }

    private List<Path> shiftedCopies(String hex) {
        return children(layout.layer(hex), "shifted-");
    }

    private List<Path> flatTrees(String id) {
        return children(layout.flat(id), "");
    }

    private static List<Path> children(Path dir, String prefix) {
        try {
            return StoreLayout.list(dir).stream().filter(p -> p.getFileName().toString().startsWith(prefix)).toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
