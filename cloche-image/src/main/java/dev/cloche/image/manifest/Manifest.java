package dev.cloche.image.manifest;

import dev.cloche.image.Descriptor;
import java.util.List;
import java.util.Objects;

/** A parsed manifest: an index (manifest list) of per-platform manifests, or one image's manifest. */
public sealed interface Manifest {

    /** An OCI index or Docker manifest list. */
    record Index(String mediaType, List<Entry> manifests) implements Manifest {
        public Index {
            Objects.requireNonNull(mediaType, "mediaType");
            manifests = List.copyOf(manifests);
        }
    }

    /** One entry of an index; {@code os}/{@code architecture} are empty when the entry names no platform. */
    record Entry(Descriptor descriptor, String os, String architecture, String variant) {
        public Entry {
            Objects.requireNonNull(descriptor, "descriptor");
            Objects.requireNonNull(os, "os");
            Objects.requireNonNull(architecture, "architecture");
            Objects.requireNonNull(variant, "variant");
        }

        public String platform() {
            return (os.isEmpty() ? "unknown" : os) + "/" + (architecture.isEmpty() ? "unknown" : architecture)
                    + (variant.isEmpty() ? "" : "/" + variant);
        }
    }

    /** An OCI image manifest or Docker schema 2 manifest: the config blob and the layers, bottom to top. */
    record Image(String mediaType, Descriptor config, List<Descriptor> layers) implements Manifest {
        public Image {
            Objects.requireNonNull(mediaType, "mediaType");
            Objects.requireNonNull(config, "config");
            layers = List.copyOf(layers);
        }
    }
}
