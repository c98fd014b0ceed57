package dev.cloche.console;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/**
 * A task's secure token as the agent keeps it, in memory and on disk: SHA-256 over a random 16-byte salt and the
 * token. The token is a high-entropy secret, so one salted hash (not a slow KDF) is enough; the salt keeps equal
 * tokens apart and a stolen record useless for lookup tables.
 */
record TokenHash(byte[] salt, byte[] hash) {
    private static final SecureRandom RANDOM = new SecureRandom();
    /** Compared against when the user is unknown, so an unknown task costs the same as a wrong token. */
    static final TokenHash NO_TASK = of("\0no such task\0");

    static TokenHash of(String token) {
        byte[] salt = new byte[16];
        RANDOM.nextBytes(salt);
        return new TokenHash(salt, digest(salt, token));
    }

    /** Constant time in where (or whether) the tokens differ. */
    boolean matches(String token) {
        return MessageDigest.isEqual(digest(salt, token), hash);
    }

    private static byte[] digest(byte[] salt, String token) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(salt);
            return d.digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "TokenHash[redacted]";
    }
}
