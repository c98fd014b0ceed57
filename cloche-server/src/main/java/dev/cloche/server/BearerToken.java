package dev.cloche.server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Optional;

/**
 * The secret every request on the TCP listener must carry as {@code Authorization: Bearer <token>}. Only its
 * SHA-256 is kept, and an offered token is compared by its digest in constant time ({@link MessageDigest#isEqual}),
 * so neither the time taken nor the length of the input says anything about the secret.
 */
public final class BearerToken {
    /** Shorter secrets are guessable; a generated 32-byte token in hex or base64 is far above this. */
    static final int MIN_LENGTH = 16;
    private static final String SCHEME = "Bearer ";

    private final byte[] digest;

    private BearerToken(String token) {
        if (token.length() < MIN_LENGTH) {
            throw new IllegalArgumentException("the token must be at least " + MIN_LENGTH + " characters");
        }
        if (!token.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new IllegalArgumentException("the token must be printable ASCII without spaces");
        }
        this.digest = sha256(token.getBytes(StandardCharsets.US_ASCII));
    }

    public static BearerToken of(String token) {
        return new BearerToken(token);
    }

    /** The token in {@code file}: its first line, surrounding white space removed. */
    public static BearerToken fromFile(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII);
            int nl = text.indexOf('\n');
            return new BearerToken((nl < 0 ? text : text.substring(0, nl)).strip());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the token file " + file + ": " + e.getMessage(), e);
        }
    }

    /** Whether an {@code Authorization} header value (if any) carries this token. */
    boolean admits(Optional<String> authorization) {
        if (authorization.isEmpty() || !authorization.get().regionMatches(true, 0, SCHEME, 0, SCHEME.length())) {
            return false;
        }
        byte[] offered = authorization.get().substring(SCHEME.length()).strip().getBytes(StandardCharsets.UTF_8);
        return MessageDigest.isEqual(digest, sha256(offered));
    }

    private static byte[] sha256(byte[] bytes) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(bytes);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "BearerToken[redacted]";
    }
}
