package dev.cloche.linux.image;

import dev.cloche.api.InvalidRequestException;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorInputStream;

/** How a layer's tar is compressed: told by the blob's media type, or for a rootfs tarball by its first bytes. */
enum LayerCompression {
    NONE, GZIP, ZSTD;

    static LayerCompression ofMediaType(String mediaType) {
        // OCI: application/vnd.oci.image.layer[.nondistributable].v1.tar[+gzip|+zstd]; Docker: ...rootfs[.foreign].diff.tar[.gzip]
        if (mediaType.endsWith("+gzip") || mediaType.endsWith(".tar.gzip")) return GZIP;
        if (mediaType.endsWith("+zstd")) return ZSTD;
        if (mediaType.endsWith(".tar") || mediaType.endsWith(".v1.tar")) return NONE;
        throw new InvalidRequestException("unsupported layer media type '" + mediaType
                + "' (tar layers, plain, gzip or zstd, are supported)");
    }

    /** By magic number: gzip {@code 1f 8b}, zstd {@code 28 b5 2f fd}, anything else plain tar. Does not consume. */
    static LayerCompression sniff(BufferedInputStream in) throws IOException {
        in.mark(4);
        byte[] head = in.readNBytes(4);
        in.reset();
        if (head.length >= 2 && (head[0] & 0xff) == 0x1f && (head[1] & 0xff) == 0x8b) return GZIP;
        if (head.length == 4 && (head[0] & 0xff) == 0x28 && (head[1] & 0xff) == 0xb5 && (head[2] & 0xff) == 0x2f
                && (head[3] & 0xff) == 0xfd) return ZSTD;
        return NONE;
    }

    /** The uncompressed tar; closing it closes {@code in}. */
    InputStream open(InputStream in) throws IOException {
        return switch (this) {
            case NONE -> in;
            // concatenated members, as Go's gzip reader (which wrote most layers) reads them
            case GZIP -> GzipCompressorInputStream.builder().setInputStream(in).setDecompressConcatenated(true).get();
            case ZSTD -> new ZstdCompressorInputStream(in);
        };
    }
}
