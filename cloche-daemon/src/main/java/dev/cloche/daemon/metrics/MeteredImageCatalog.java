package dev.cloche.daemon.metrics;

import dev.cloche.api.ImageCatalog;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.LayerProgress;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The core's image catalog, counting pulls: how many and how they ended, how long they took, the bytes downloaded and
 * the layers found in the store already (cache hits) or downloaded, from the pull's own layer progress.
 */
public final class MeteredImageCatalog implements ImageCatalog {
    private final ImageCatalog images;
    private final MeterRegistry registry;
    private final Timer pullTime;
    private final Counter downloaded;
    private final Counter layersCached;
    private final Counter layersDownloaded;

    public MeteredImageCatalog(ImageCatalog images, DaemonMetrics metrics) {
        this.images = Objects.requireNonNull(images, "images");
        this.registry = metrics.registry();
        this.pullTime = DaemonMetrics.timer("cloche.image.pull.duration")
                .description("Time of explicit image pulls, successful or not").register(registry);
        this.downloaded = Counter.builder("cloche.image.pull.downloaded").baseUnit("bytes")
                .description("Compressed layer bytes downloaded by image pulls").register(registry);
        this.layersCached = Counter.builder("cloche.image.pull.layers").tag("cached", "true")
                .description("Layers of pulled images, by whether the store had them (a cache hit)").register(registry);
        this.layersDownloaded = Counter.builder("cloche.image.pull.layers").tag("cached", "false")
                .description("Layers of pulled images, by whether the store had them (a cache hit)").register(registry);
        Counter.builder("cloche.image.pulls").tag("outcome", "ok").description("Image pulls by outcome")
                .register(registry);
    }

    @Override
    public List<ImageInfo> images() {
        return images.images();
    }

    @Override
    public ImagePruneReport pruneImages() {
        return images.pruneImages();
    }

    @Override
    public ImageInfo pullImage(ImageRef ref, Consumer<LayerProgress> progress) {
        Objects.requireNonNull(progress, "progress");
        LayerTally tally = new LayerTally();
        long started = System.nanoTime();
        String outcome = "ok";
        try {
            return images.pullImage(ref, p -> {
                tally.accept(p);
                progress.accept(p);
            });
        } catch (RuntimeException e) {
            outcome = Failures.kind(e);
            throw e;
        } finally {
            pullTime.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
            Counter.builder("cloche.image.pulls").tag("outcome", outcome).description("Image pulls by outcome")
                    .register(registry).increment();
            tally.addTo(downloaded, layersCached, layersDownloaded);
        }
    }

    /** One pull's layers, from its progress reports (several per layer; bytes are cumulative per layer). */
    private static final class LayerTally implements Consumer<LayerProgress> {
        private final Map<String, Long> bytes = new HashMap<>();
        private long downloaded;
        private int cached;
        private int fetched;

        @Override
        public synchronized void accept(LayerProgress p) {
            if (p.cached()) {
                if (p.done() && bytes.putIfAbsent(p.digest(), -1L) == null) {
                    cached++;
                }
                return;
            }
            long before = Math.max(0, bytes.getOrDefault(p.digest(), 0L));
            if (p.bytes() > before) {
                downloaded += p.bytes() - before;
                bytes.put(p.digest(), p.bytes());
            }
            if (p.done() && bytes.put(p.digest() + "#done", 1L) == null) {
                fetched++;
            }
        }

        synchronized void addTo(Counter downloadedBytes, Counter cachedLayers, Counter fetchedLayers) {
            downloadedBytes.increment(downloaded);
            cachedLayers.increment(cached);
            fetchedLayers.increment(fetched);
        }
    }
}
