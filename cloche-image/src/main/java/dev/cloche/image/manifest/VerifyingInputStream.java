package dev.cloche.image.manifest;

import dev.cloche.image.Descriptor;
import dev.cloche.image.Digest;
import dev.cloche.image.ImageSource.BlobVerificationException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * A blob's bytes, checked while read: more bytes than the descriptor's size fail at once, and at the end of the stream
 * a short count or a different sha256 fails with {@link BlobVerificationException}. Only a stream read to its end has
 * been verified.
 */
public final class VerifyingInputStream extends FilterInputStream {
    private final Descriptor expected;
    private final String source;
    private final MessageDigest sha256 = Digest.newSha256();
    private long count;
    private boolean verified;

    /** {@code source} names where the bytes come from, for the error (e.g. "registry 127.0.0.1:5000"). */
    public VerifyingInputStream(InputStream in, Descriptor expected, String source) {
        super(in);
        this.expected = expected;
        this.source = source;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (verified) return -1;
        int n = in.read(b, off, len);
        if (n < 0) {
            verify();
            return -1;
        }
        sha256.update(b, off, n);
        count += n;
        if (count > expected.size()) {
            throw new BlobVerificationException("blob " + expected.digest() + " from " + source + " is larger than its "
                    + expected.size() + " bytes");
        }
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        // skipped bytes must still be hashed
        byte[] buffer = new byte[8192];
        long skipped = 0;
        while (skipped < n) {
            int r = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (r < 0) break;
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) { }

    @Override
    public synchronized void reset() throws IOException {
        throw new IOException("mark/reset not supported");
    }

    private void verify() throws BlobVerificationException {
        if (count != expected.size()) {
            throw new BlobVerificationException("blob " + expected.digest() + " from " + source + " ended after "
                    + count + " of " + expected.size() + " bytes");
        }
        String actual = HexFormat.of().formatHex(sha256.digest());
        if (!actual.equals(expected.digest().hex())) {
            throw new BlobVerificationException("blob " + expected.digest() + " from " + source
                    + " does not match its digest (its content hashes to sha256:" + actual + ")");
        }
        verified = true;
    }
}
