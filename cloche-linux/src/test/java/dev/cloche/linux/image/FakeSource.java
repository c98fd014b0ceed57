package dev.cloche.linux.image;

import dev.cloche.image.Descriptor;
import dev.cloche.image.Digest;
import dev.cloche.image.ImageConfig;
import dev.cloche.image.ImageSource;
import dev.cloche.image.ResolvedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.compressors.zstandard.ZstdCompressorOutputStream;

/**
 * An {@link ImageSource} over layers in memory that keeps the interface's contract: blobs are verified against their
 * descriptor (size and digest) as they are read and fail at the end if they differ. Counts opens per blob and the
 * most blobs open at once; {@link #corrupt} changes what is served, {@link #gate} holds every open until released.
 */
final class FakeSource implements ImageSource {
    static final String GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    static final String ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
    static final String PLAIN = "application/vnd.oci.image.layer.v1.tar";

    /** A layer: its blob as stored, its descriptor and its diff id (which a test may set wrong). */
    record Layer(Descriptor blob, byte[] bytes, Digest diffId) {
        Layer withDiffId(Digest d) {
            return new Layer(blob, bytes, d);
        }
    }

    private final String reference;
    private final List<Layer> layers;
    private final ImageConfig config;
    final Map<Digest, AtomicInteger> opens = new ConcurrentHashMap<>();
    final AtomicInteger resolves = new AtomicInteger();
    private final AtomicInteger open = new AtomicInteger();
    final AtomicInteger maxOpen = new AtomicInteger();
    volatile UnaryOperator<byte[]> corrupt = UnaryOperator.identity();
    /** Called in every openBlob before it returns (a test blocks there to make calls overlap). */
    volatile Runnable gate = () -> { };
    /** Called in every resolve. */
    volatile Runnable onResolve = () -> { };

    FakeSource(String reference, List<Layer> layers, ImageConfig config) {
        this.reference = reference;
        this.layers = List.copyOf(layers);
        this.config = config;
    }

    static Layer layer(byte[] tar, String mediaType) {
        byte[] blob = switch (mediaType) {
            case GZIP -> gzip(tar);
            case ZSTD -> zstd(tar);
            default -> tar;
        };
        return new Layer(new Descriptor(mediaType, Digest.sha256(blob), blob.length, Map.of()), blob, Digest.sha256(tar));
    }

    static Layer gzipLayer(byte[] tar) {
        return layer(tar, GZIP);
    }

    @Override
    public ResolvedImage resolve() {
        resolves.incrementAndGet();
        onResolve.run();
        StringBuilder manifest = new StringBuilder(reference);
        for (Layer l : layers) manifest.append(l.blob().digest()).append(l.diffId());
        List<Descriptor> blobs = new ArrayList<>();
        List<Digest> diffIds = new ArrayList<>();
        for (Layer l : layers) {
            blobs.add(l.blob());
            diffIds.add(l.diffId());
        }
        return new ResolvedImage(reference, Digest.sha256(manifest.toString().getBytes(StandardCharsets.UTF_8)), blobs, diffIds, config);
    }

    int opens(Layer l) {
        AtomicInteger n = opens.get(l.blob().digest());
        return n == null ? 0 : n.get();
    }

    int totalOpens() {
        return opens.values().stream().mapToInt(AtomicInteger::get).sum();
    }

    @Override
    public InputStream openBlob(Descriptor blob) throws IOException {
        Layer l = layers.stream().filter(x -> x.blob().equals(blob)).findFirst()
                .orElseThrow(() -> new IOException("no blob " + blob.digest()));
        opens.computeIfAbsent(blob.digest(), d -> new AtomicInteger()).incrementAndGet();
        int now = open.incrementAndGet();
        maxOpen.accumulateAndGet(now, Math::max);
        try {
            gate.run();
        } catch (RuntimeException e) {
            open.decrementAndGet();
            throw e;
        }
        return new Verifying(new ByteArrayInputStream(corrupt.apply(l.bytes())), blob);
    }

    /** Checks size and digest at the end, as a registry or layout source does. */
    private final class Verifying extends FilterInputStream {
        private final Descriptor blob;
        private final MessageDigest sha = Digest.newSha256();
        private long n;
        private boolean closed;
        private boolean verified;

        Verifying(InputStream in, Descriptor blob) {
            super(in);
            this.blob = blob;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int r = super.read(b, off, len);
            if (r > 0) {
                sha.update(b, off, r);
                n += r;
            } else if (r < 0 && !verified) {
                verified = true;
                String got = HexFormat.of().formatHex(sha.digest());
                if (n != blob.size() || !got.equals(blob.digest().hex())) {
                    throw new BlobVerificationException("blob " + blob.digest() + ": got " + n + " bytes with digest sha256:" + got);
                }
            }
            return r;
        }

        /** No mark/reset: a reset would have the digest count bytes twice. */
        @Override
        public boolean markSupported() {
            return false;
        }

        @Override
        public long skip(long k) throws IOException {
            return read(new byte[(int) Math.min(k, 8192)], 0, (int) Math.min(k, 8192)) < 0 ? 0 : Math.min(k, 8192);
        }

        @Override
        public void close() throws IOException {
            if (!closed) {
                closed = true;
                open.decrementAndGet();
            }
            super.close();
        }
    }

    private static byte[] gzip(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new GZIPOutputStream(out)) {
            z.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static byte[] zstd(byte[] b) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (OutputStream z = new ZstdCompressorOutputStream(out)) {
            z.write(b);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
