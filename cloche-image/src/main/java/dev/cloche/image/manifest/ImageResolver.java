package dev.cloche.image.manifest;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.image.Descriptor;
import dev.cloche.image.Digest;
import dev.cloche.image.ResolvedImage;
import java.io.IOException;

/**
 * The walk every source shares, from a top manifest (a tag's, or an OCI layout's chosen entry) down to one
 * linux/amd64 image: through an index to its platform manifest, then to the config. Sources only fetch bytes.
 */
public final class ImageResolver {
    /** Manifests and indexes larger than this are refused (as containerd does), so a hostile source cannot fill memory. */
    public static final int MAX_MANIFEST_BYTES = 4 << 20;
    public static final int MAX_CONFIG_BYTES = 16 << 20;
    private static final int MAX_NESTING = 3;

    /** What a source reads while resolving; each result must already be checked against the descriptor. */
    public interface Reader {
        /** A manifest or index that a descriptor points to. */
        byte[] manifest(Descriptor descriptor) throws IOException;

        /** A small blob (the config). */
        byte[] blob(Descriptor descriptor) throws IOException;
    }

    /** A manifest's bytes, the media type they were declared with, and their digest. */
    public record Content(String mediaType, byte[] bytes, Digest digest) { }

    private ImageResolver() {}

    public static ResolvedImage resolve(String image, Content top, Reader reader) throws IOException {
        Content current = top;
        for (int depth = 0; depth <= MAX_NESTING; depth++) {
            Manifest m = ManifestParser.parse(image, current.mediaType(), current.bytes());
            switch (m) {
                case Manifest.Index index -> {
                    Descriptor platform = ManifestParser.pickPlatform(image, index);
                    current = new Content(platform.mediaType(), reader.manifest(platform), platform.digest());
                }
                case Manifest.Image manifest -> {
                    ImageConfigBlob config = ManifestParser.parseConfig(image, reader.blob(manifest.config()));
                    if (config.diffIds().size() != manifest.layers().size()) {
                        throw ManifestParser.invalid(image, "its manifest has " + manifest.layers().size()
                                + " layers but its config " + config.diffIds().size() + " diff ids");
                    }
                    return new ResolvedImage(image, current.digest(), manifest.layers(), config.diffIds(), config.config());
                }
            }
        }
        throw ManifestParser.invalid(image, "its indexes nest more than " + MAX_NESTING + " deep");
    }

    /** Checks bytes read whole against their descriptor; a mismatch is an error naming the image and the source. */
    public static byte[] verified(String image, String source, Descriptor d, byte[] bytes) {
        if (bytes.length != d.size()) {
            throw new InvalidRequestException("image " + image + " cannot be used: " + d.digest() + " from " + source
                    + " has " + bytes.length + " bytes, its descriptor says " + d.size());
        }
        Digest actual = Digest.sha256(bytes);
        if (!actual.equals(d.digest())) {
            throw new InvalidRequestException("image " + image + " cannot be used: " + d.digest() + " from " + source
                    + " does not match its digest (its content hashes to " + actual + ")");
        }
        return bytes;
    }

    /** Reads at most {@code limit} bytes; more is an error (the stream is left for the caller to close). */
    public static byte[] readLimited(String image, String what, java.io.InputStream in, int limit) throws IOException {
        byte[] bytes = in.readNBytes(limit + 1);
        if (bytes.length > limit) {
            throw ManifestParser.invalid(image, "its " + what + " is larger than " + limit + " bytes");
        }
        return bytes;
    }
}
