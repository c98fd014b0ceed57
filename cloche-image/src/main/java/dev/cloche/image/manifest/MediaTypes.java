package dev.cloche.image.manifest;

import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/** The media types of the distribution and OCI image specs that Cloche reads, and what each layer type is compressed with. */
public final class MediaTypes {
    public static final String OCI_INDEX = "application/vnd.oci.image.index.v1+json";
    public static final String OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    public static final String OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
    public static final String DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    public static final String DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    public static final String DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
    public static final String DOCKER_SCHEMA1 = "application/vnd.docker.distribution.manifest.v1+json";
    public static final String DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws";

    public static final String OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
    public static final String OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    public static final String OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    public static final String DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
    public static final String DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
    public static final String DOCKER_LAYER_ZSTD = "application/vnd.docker.image.rootfs.diff.tar.zstd";

    /** The registry's Accept header: every manifest form Cloche can resolve, lists and indexes first. */
    public static final String ACCEPT_MANIFESTS = String.join(", ", DOCKER_MANIFEST_LIST, OCI_INDEX, DOCKER_MANIFEST, OCI_MANIFEST);

    static final Set<String> INDEXES = Set.of(OCI_INDEX, DOCKER_MANIFEST_LIST);
    static final Set<String> MANIFESTS = Set.of(OCI_MANIFEST, DOCKER_MANIFEST);
    static final Set<String> SCHEMA1 = Set.of(DOCKER_SCHEMA1, DOCKER_SCHEMA1_SIGNED);
    static final Set<String> CONFIGS = Set.of(OCI_CONFIG, DOCKER_CONFIG);

    /** How a layer blob is compressed; the layer store decompresses by this. */
    public enum Compression { NONE, GZIP, ZSTD }

    private MediaTypes() {}

    /** The compression of a layer media type Cloche accepts; empty for anything else (foreign, unknown, not a layer). */
    public static Optional<Compression> layerCompression(String mediaType) {
        return Optional.ofNullable(switch (mediaType) {
            case OCI_LAYER, DOCKER_LAYER -> Compression.NONE;
            case OCI_LAYER_GZIP, DOCKER_LAYER_GZIP -> Compression.GZIP;
            case OCI_LAYER_ZSTD, DOCKER_LAYER_ZSTD -> Compression.ZSTD;
            default -> null;
        });
    }

    /** Docker's foreign layers and OCI's non-distributable layers: blobs a registry does not serve. */
    static boolean foreignLayer(String mediaType) {
        return mediaType.startsWith("application/vnd.docker.image.rootfs.foreign.")
                || mediaType.startsWith("application/vnd.oci.image.layer.nondistributable.");
    }

    /** A Content-Type header without its parameters, lowercased; empty when absent. */
    public static String bare(String contentType) {
        int semi = contentType.indexOf(';');
        return (semi < 0 ? contentType : contentType.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    }
}
