package dev.cloche.linux.image;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the store has and who uses it: image records and committed layers (as on disk), holds (in memory) and pins
 * (what acquires in progress work on). Every method holds the index's lock, which is also the lock renames into the
 * store and a collection take ({@link StoreCollector}, {@link LowerDirs}), so a collection never removes something an
 * acquire has just found or committed.
 */
final class StoreIndex {
    private static final Logger LOG = LoggerFactory.getLogger(StoreIndex.class);

    private final StoreLayout layout;
    private final Map<String, ImageRecord> records = new HashMap<>();
    private final Map<String, LayerRecord> layers = new HashMap<>();
    private final Map<String, Set<String>> holders = new HashMap<>();
    private final List<Pin> pins = new ArrayList<>();

    StoreIndex(StoreLayout layout) {
        this.layout = layout;
    }

    /** Reads the layers and records on disk. */
    synchronized void load() throws IOException {
        for (Path d : StoreLayout.list(layout.layers)) {
            String hex = d.getFileName().toString();
            if (!hex.matches("[0-9a-f]{64}")) continue;
            layout.readJson(d.resolve("layer.json"), LayerRecord.class).ifPresent(r -> layers.put(hex, r));
        }
        for (Path f : StoreLayout.list(layout.records)) {
            String name = f.getFileName().toString();
            if (name.startsWith(".") || !name.endsWith(".json")) continue;
            layout.readJson(f, ImageRecord.class).ifPresent(r -> records.put(r.id(), r));
        }
        LOG.info("image store {}: {} images, {} layers", layout.root, records.size(), layers.size());
    }

    /** The image's record, if it and all its layers are in the store. */
    synchronized Optional<ImageRecord> complete(String imageId) {
        ImageRecord r = records.get(imageId);
        return r != null && layers.keySet().containsAll(r.layerHexes()) ? Optional.of(r) : Optional.empty();
    }

    synchronized Optional<LayerRecord> layer(String hex) {
        return Optional.ofNullable(layers.get(hex));
    }

    /** The image's layers that are more than an empty root directory, bottom to top, each once. */
    synchronized List<String> nonEmptyLayers(ImageRecord rec) {
        return rec.layerHexes().stream().distinct().filter(h -> layers.containsKey(h) && layers.get(h).inodes() > 1).toList();
    }

    /**
     * Renames a pulled layer into place (pinned for {@code pin} first, if given) unless the store has it already;
     * returns the store's layer either way. The caller removes what is left of the pulled directory.
     */
    synchronized LayerRecord commit(LayerPuller.Pulled p, Optional<Pin> pin) throws IOException {
        String hex = p.record().diffId().substring("sha256:".length());
        pin.ifPresent(x -> x.layers.add(hex));
        LayerRecord have = layers.get(hex);
        if (have != null) return have;
        if (!StoreLayout.commit(p.dir(), layout.layer(hex))) {
            throw GardenError.internal("layer " + hex + " is in the image store's directory but not in its index");
        }
        layers.put(hex, p.record());
        return p.record();
    }

    /** Writes the record (replacing the image's earlier one). */
    synchronized void save(ImageRecord rec) {
        try {
            layout.writeJson(layout.record(rec.id()), rec);
        } catch (IOException e) {
            throw GardenError.internal("cannot write the image record of " + rec.reference() + ": " + e.getMessage(), e);
        }
        records.put(rec.id(), rec);
    }

    /** Adds {@code holder}'s hold and marks the image used now, as {@code reference}. */
    synchronized void hold(ImageRecord rec, String holder, String reference) {
        holders.computeIfAbsent(rec.id(), k -> new TreeSet<>()).add(holder);
        touch(records.getOrDefault(rec.id(), rec), reference);
    }

    /** Ends {@code holder}'s hold; false if it had none. */
    synchronized boolean release(String imageId, String holder) {
        Set<String> h = holders.get(imageId);
        if (h == null || !h.remove(holder)) return false;
        if (h.isEmpty()) holders.remove(imageId);
        ImageRecord r = records.get(imageId);
        if (r != null) touch(r, r.reference());
        return true;
    }

    /** Last used matters for collection only: a record that cannot be rewritten keeps its older time. */
    private void touch(ImageRecord r, String reference) {
        try {
            save(r.used(reference, System.currentTimeMillis()));
        } catch (GardenException e) {
            LOG.warn("{}", e.getMessage());
        }
    }

    synchronized List<CachedImage> list() {
        return records.values().stream().sorted(Comparator.comparingLong(ImageRecord::lastUsed).reversed())
                .map(r -> new CachedImage(r.id(), r.reference(), r.diffIds().size(), r.bytes(),
                        List.copyOf(holders.getOrDefault(r.id(), Set.of())), Instant.ofEpochMilli(r.lastUsed())))
                .toList();
    }

    synchronized Pin pin(String imageId, List<String> layerHexes) {
        Pin p = new Pin(imageId, new HashSet<>(layerHexes));
        pins.add(p);
        return p;
    }

    // --- for StoreCollector, which holds the lock across these calls ---

    Map<String, ImageRecord> records() {
        return records;
    }

    Map<String, LayerRecord> layers() {
        return layers;
    }

    /** Held by a container, or being worked on by an acquire. */
    boolean inUse(String imageId) {
        if (holders.containsKey(imageId)) return true;
        for (Pin p : pins) if (p.imageId.equals(imageId)) return true;
        return false;
    }

    Set<String> pinnedLayers() {
        Set<String> out = new HashSet<>();
        for (Pin p : pins) out.addAll(p.layers);
        return out;
    }

    /** What an acquire in progress uses: its image and layers are not collected until it ends. */
    final class Pin implements AutoCloseable {
        final String imageId;
        final Set<String> layers;

        private Pin(String imageId, Set<String> layers) {
            this.imageId = imageId;
            this.layers = layers;
        }

        @Override
        public void close() {
            synchronized (StoreIndex.this) {
                pins.remove(this);
            }
        }
    }
}
