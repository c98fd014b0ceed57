package dev.cloche.image;

import dev.cloche.api.InvalidRequestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

/** A content digest, {@code sha256:<64 hex>}: the only algorithm registries and OCI layouts are required to use. */
public record Digest(String algorithm, String hex) {
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    public Digest {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(hex, "hex");
        if (!algorithm.equals("sha256") || !SHA256.matcher(hex).matches()) {
            throw new InvalidRequestException("unsupported or malformed digest " + algorithm + ":" + hex
                    + " (only sha256:<64 lowercase hex digits> is accepted)");
        }
    }

    /** Parses {@code sha256:<hex>}; anything else is an {@link InvalidRequestException}. */
    public static Digest parse(String s) {
        int colon = s.indexOf(':');
        if (colon < 0) throw new InvalidRequestException("malformed digest '" + s + "' (expected sha256:<hex>)");
        return new Digest(s.substring(0, colon), s.substring(colon + 1));
    }

    public static Digest sha256(byte[] content) {
        return new Digest("sha256", HexFormat.of().formatHex(newSha256().digest(content)));
    }

    public static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return algorithm + ":" + hex;
    }
}
