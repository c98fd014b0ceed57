package dev.cloche.image;

import java.io.IOException;
import java.io.InputStream;

/**
 * Where an image's manifests and blobs come from: a registry ({@code docker://}) or an OCI image layout on the host
 * ({@code oci://}). Implementations are safe for concurrent use; the layer store calls {@link #openBlob} from several
 * threads for one image.
 */
public interface ImageSource {

    /**
     * Resolves the reference to one linux/amd64 image (picking it from a manifest list or OCI index), reading and
     * verifying the manifest and the config. Errors are typed: a missing tag or repository, refused credentials and a
     * malformed manifest are {@code InvalidRequestException}s naming the reference; an unreachable registry is a
     * {@code ServiceUnavailableException}.
     */
    ResolvedImage resolve();

    /**
     * The blob's bytes as stored (still compressed). The stream checks size and digest as it is read and throws
     * {@link BlobVerificationException} at the end if either differs, so a caller must read to the end before it
     * trusts what it extracted. A blob the source does not have, refused credentials and an unreachable registry are
     * the same typed (unchecked) errors as {@link #resolve()}'s; a connection lost or stalled mid-stream is an
     * {@link IOException} from the stream.
     */
    InputStream openBlob(Descriptor blob) throws IOException;

    /** A blob's bytes did not match the descriptor's digest or size. */
    final class BlobVerificationException extends IOException {
        public BlobVerificationException(String message) {
            super(message);
        }
    }
}
