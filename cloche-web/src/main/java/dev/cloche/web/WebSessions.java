package dev.cloche.web;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who is logged in: the login token (printed once at start, also in a root-only file) is exchanged at
 * {@code /login} for a session, named by a random id in an HttpOnly cookie; each session carries its own CSRF token,
 * which every state change must repeat in a header. Sessions live in memory: a restart logs everyone out.
 */
public final class WebSessions {
    /** The cookie that names a session. */
    public static final String COOKIE = "cloche_session";
    /** The header every POST/PUT/DELETE must carry, holding the session's CSRF token. */
    public static final String CSRF_HEADER = "X-CSRF-Token";

    private static final SecureRandom RANDOM = new SecureRandom();

    /** One logged-in browser. */
    public record Session(String id, String csrfToken, Instant created) {
        public Session {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(csrfToken, "csrfToken");
            Objects.requireNonNull(created, "created");
        }
    }

    private final byte[] loginToken;
    private final Duration lifetime;
    private final Clock clock;
    private final Map<String, Session> sessions = new ConcurrentHashMap<>();

    public WebSessions(String loginToken, Duration lifetime, Clock clock) {
        if (loginToken.length() < 16) {
            throw new IllegalArgumentException("the web login token must be at least 16 characters");
        }
        this.loginToken = loginToken.getBytes(StandardCharsets.UTF_8);
        this.lifetime = Objects.requireNonNull(lifetime, "lifetime");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A fresh random token: 32 bytes as hex. */
    public static String randomToken() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** A new session if {@code token} is the login token (compared in constant time), else empty. */
    public Optional<Session> login(String token) {
        if (!MessageDigest.isEqual(loginToken, token.getBytes(StandardCharsets.UTF_8))) {
            return Optional.empty();
        }
        Session s = new Session(randomToken(), randomToken(), clock.instant());
        sessions.put(s.id(), s);
        return Optional.of(s);
    }

    /** The live session a {@code Cookie} header names, if any; an expired one is forgotten. */
    public Optional<Session> fromCookieHeader(String cookieHeader) {
        for (String part : cookieHeader.split(";")) {
            String p = part.trim();
            if (p.startsWith(COOKIE + "=")) {
                Session s = sessions.get(p.substring(COOKIE.length() + 1));
                if (s == null) {
                    continue;
                }
                if (clock.instant().isAfter(s.created().plus(lifetime))) {
                    sessions.remove(s.id());
                    return Optional.empty();
                }
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** Whether {@code header} (the request's CSRF header, empty if absent) is this session's token. */
    public static boolean csrfMatches(Session session, String header) {
        return MessageDigest.isEqual(session.csrfToken().getBytes(StandardCharsets.UTF_8),
                header.getBytes(StandardCharsets.UTF_8));
    }

    /** Ends a session (logout). */
    public void end(Session session) {
        sessions.remove(session.id());
    }

    /** The {@code Set-Cookie} value for a new session; {@code Secure} only when served over TLS. */
    public static String cookie(Session s, boolean secure) {
        return COOKIE + "=" + s.id() + "; Path=/; HttpOnly; SameSite=Strict" + (secure ? "; Secure" : "");
    }
}
