package dev.cloche.linux.image;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.image.Digest;
import dev.cloche.image.ImageSource;
import dev.cloche.image.PullListener;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.sys.Inodes;
import dev.cloche.tar.TarRejectedException;
import java.io.BufferedInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Pulls one layer into a new directory under the store's {@code tmp/}: reads its blob (the source verifies the blob's
 * digest when it is read to the end, which happens before anything is trusted), decompresses it, extracts it through
 * {@link LayerExtractor}, checks the uncompressed digest against the diff id the image's config names, and measures
 * it. On any failure the directory is removed and the error is typed: a corrupt, hostile or mismatching layer is an
 * {@link InvalidRequestException}, a source that failed while being read a {@link ServiceUnavailableException}, a full
 * disk a {@link ResourceExhaustedException}.
 */
final class LayerPuller {
    private static final long PROGRESS_EVERY = 256 * 1024;

    /** Opens the compressed blob. */
    interface Blob {
        InputStream open() throws IOException;
    }

    /** A pulled layer, still in {@code tmp/}: {@code dir} holds {@code diff/} and {@code layer.json}. */
    record Pulled(Path dir, LayerRecord record) { }

    private final StoreLayout layout;
    private final Inodes inodes;

    LayerPuller(StoreLayout layout, Inodes inodes) {
        this.layout = layout;
        this.inodes = inodes;
    }

    /**
     * @param what names the layer in errors ({@code "image X layer sha256:..."})
     * @param blobDigest the key progress is reported under
     * @param compression by the blob's media type; empty: told by the first bytes (a rootfs tarball)
     * @param diffId what the uncompressed tar's digest must be; empty: whatever it is (a rootfs tarball)
     */
    Pulled pull(String what, Digest blobDigest, Blob blob, Optional<LayerCompression> compression, Optional<Digest> diffId,
                PullListener listener) {
        Path tmp = null;
        Source src = null;
        try {
            tmp = layout.newTemp();
            Path diff = Files.createDirectory(tmp.resolve("diff"));
            inodes.lchown(diff, 0, 0);
            inodes.chmod(diff, 0755);
            src = new Source(blob.open(), blobDigest, listener);
            LayerExtractor.Extracted x;
            try (Source raw = src) {
                InputStream in = compression.isPresent() ? raw : new BufferedInputStream(raw);
                LayerCompression c = compression.isPresent() ? compression.get() : LayerCompression.sniff((BufferedInputStream) in);
                try (InputStream plain = c.open(in)) {
                    x = LayerExtractor.extract(new Decompressed(plain, raw), diff, inodes);
                    // what is left of the blob (a compressor's trailer, record padding): the source checks its
                    // digest at the end, and nothing is kept before that passed
                    in.transferTo(OutputStream.nullOutputStream());
                }
            }
            src.reportProgress();
            if (diffId.isPresent() && !diffId.get().equals(x.diffId())) {
                throw new InvalidRequestException(what + ": its uncompressed content has digest " + x.diffId()
                        + ", but the image's config says " + diffId.get() + " (nothing was kept)");
            }
            TreeSize size = TreeSize.measure(diff, inodes);
            LayerRecord record = new LayerRecord(x.diffId().toString(), size.bytes(), size.inodes());
            layout.writeJson(tmp.resolve("layer.json"), record);
            return new Pulled(tmp, record);
        } catch (IOException | RuntimeException e) {
            if (tmp != null) Trees.deleteRecursively(tmp);
            throw typed(what, src, e);
        }
    }

    private static GardenException typed(String what, Source src, Exception e) {
        Throwable cause = src != null && src.failure != null ? src.failure : e;
        if (cause instanceof GardenException g) return g;
        if (cause instanceof ImageSource.BlobVerificationException) {
            return new InvalidRequestException(what + ": " + cause.getMessage() + " (nothing was kept)", cause);
        }
        if (src != null && src.failure != null) {
            return new ServiceUnavailableException(what + ": reading its blob failed: " + cause.getMessage(), cause);
        }
        if (cause instanceof TarRejectedException || cause instanceof LayerExtractor.RefusedLayerException
                || cause instanceof CorruptLayerException) {
            return new InvalidRequestException(what + " is refused: " + cause.getMessage() + " (nothing was kept)", cause);
        }
        if (cause instanceof FileSystemException f && String.valueOf(f.getReason()).contains("No space left")
                || String.valueOf(cause.getMessage()).contains("No space left on device")) {
            return new ResourceExhaustedException(what + ": the image store's disk is full: " + cause.getMessage(), cause);
        }
        return GardenError.internal(what + ": cannot extract: " + cause, cause);
    }

    /** The decompressor failed on bytes the source delivered intact: the blob is not what its media type says. */
    static final class CorruptLayerException extends IOException {
        CorruptLayerException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** The blob as the source delivers it: counted for progress, and its own failures told apart from the rest. */
    private static final class Source extends FilterInputStream {
        private final Digest key;
        private final PullListener listener;
        private long read;
        private long reported;
        IOException failure;

        Source(InputStream in, Digest key, PullListener listener) {
            super(in);
            this.key = key;
            this.listener = listener;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n;
            try {
                n = super.read(b, off, len);
            } catch (IOException e) {
                if (failure == null) failure = e;
                throw e;
            }
            if (n > 0) {
                read += n;
                if (read - reported >= PROGRESS_EVERY) reportProgress();
            }
            return n;
        }

        /** No mark/reset (a decompressor would use it): bytes read again would be counted again. */
        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public long skip(long n) throws IOException {
            byte[] b = new byte[(int) Math.min(n, 8192)];
            int r = read(b, 0, b.length);
            return Math.max(r, 0);
        }

        void reportProgress() {
            reported = read;
            listener.layerProgress(key, read);
        }
    }

    /** The decompressor's output; an exception it makes up itself (not the source's) means a corrupt blob. */
    private static final class Decompressed extends FilterInputStream {
        private final Source src;

        Decompressed(InputStream in, Source src) {
            super(in);
            this.src = src;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException e) {
                if (src.failure != null) throw e;
                throw new CorruptLayerException("cannot decompress its blob: " + e.getMessage(), e);
            }
        }
    }
}
