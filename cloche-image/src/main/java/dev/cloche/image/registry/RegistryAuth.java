package dev.cloche.image.registry;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.image.Digest;
import dev.cloche.image.ImageReference;
import dev.cloche.image.manifest.ManifestParser;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Predicate;
import tools.jackson.databind.JsonNode;

/**
 * Answers a registry's 401: a bearer challenge with a token from its realm (asked with the reference's credentials
 * when it has them), a basic challenge with the credentials themselves. Grants are cached per registry, repository and
 * credentials until the token expires. Passwords appear in no message and no log.
 */
final class RegistryAuth {
    /** Sends a request with the client's retry, for the token server. */
    interface Transport {
        Response send(String registry, HttpRequest request);
    }

    /** Grants are per credentials too, so one user's token never serves another's pull; the password only hashed. */
    private record Key(String registry, String repository, String username, String passwordHash) { }

    private record Grant(String authorization, Instant expires) { }

    private static final long DEFAULT_TOKEN_SECONDS = 60;
    private static final long EXPIRY_MARGIN_SECONDS = 10;

    private final Transport transport;
    private final Predicate<String> plainHttpAllowed;
    private final Clock clock;
    private final ConcurrentMap<Key, Grant> grants = new ConcurrentHashMap<>();

    /** {@code plainHttpAllowed}: whether a {@code host[:port]} may get credentials over plain HTTP (the policy's). */
    RegistryAuth(Transport transport, Predicate<String> plainHttpAllowed) {
        this(transport, plainHttpAllowed, Clock.systemUTC());
    }

    RegistryAuth(Transport transport, Predicate<String> plainHttpAllowed, Clock clock) {
        this.transport = transport;
        this.plainHttpAllowed = plainHttpAllowed;
        this.clock = clock;
    }

    /** The Authorization header last granted for this repository, while it is valid. */
    Optional<String> cached(ImageReference.Registry ref) {
        Grant g = grants.get(key(ref));
        return g != null && clock.instant().isBefore(g.expires()) ? Optional.of(g.authorization()) : Optional.empty();
    }

    /** The Authorization header that answers the challenges of a 401, cached; or the typed error why there is none. */
    String answer(ImageReference.Registry ref, java.util.List<String> wwwAuthenticate) {
        Challenge c = Challenge.pick(wwwAuthenticate).orElseThrow(() -> new ServiceUnavailableException(
                "registry " + ref.registry() + " answered 401 without an authentication challenge"));
        Grant grant = switch (c.scheme()) {
            case "basic" -> {
                if (!hasCredentials(ref)) throw needsCredentials(ref);
                yield new Grant(basic(ref), Instant.MAX);
            }
            case "bearer" -> token(ref, c);
            default -> throw new InvalidRequestException("registry " + ref.registry()
                    + " asks for the unsupported authentication scheme '" + c.scheme() + "' (image " + ref.name() + ")");
        };
        grants.put(key(ref), grant);
        return grant.authorization();
    }

    /** The error for a registry that still answers 401 to the granted authorization. */
    InvalidRequestException refused(ImageReference.Registry ref) {
        grants.remove(key(ref));
        return hasCredentials(ref) ? refusedCredentials(ref) : needsCredentials(ref);
    }

    private Grant token(ImageReference.Registry ref, Challenge c) {
        String realm = c.param("realm");
        URI realmUri;
        try {
            realmUri = URI.create(realm);
        } catch (IllegalArgumentException e) {
            realmUri = null;
        }
        if (realmUri == null || !("https".equals(realmUri.getScheme()) || "http".equals(realmUri.getScheme()))) {
            throw new ServiceUnavailableException("registry " + ref.registry() + " sent a bearer challenge without a usable realm");
        }
        String scope = c.param("scope").isEmpty() ? "repository:" + ref.repository() + ":pull" : c.param("scope");
        StringBuilder query = new StringBuilder();
        if (!c.param("service").isEmpty()) query.append("service=").append(encode(c.param("service"))).append('&');
        query.append("scope=").append(encode(scope));
        URI uri = URI.create(realm + (realm.contains("?") ? "&" : "?") + query);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).GET().header("Accept", "application/json");
        if (hasCredentials(ref)) {
            // a realm may be anywhere: credentials travel in clear text only where the policy allows plain HTTP
            if (realmUri.getScheme().equals("http") && !plainHttpAllowed.test(realmUri.getRawAuthority())) {
                throw new InvalidRequestException("registry " + ref.registry() + " sends clients to the plain-HTTP token realm "
                        + realmUri.getScheme() + "://" + realmUri.getRawAuthority() + ", which Cloche does not send credentials"
                        + " to (make it HTTPS, or name it with --insecure-registry)");
            }
            request.header("Authorization", basic(ref));
        }
        try (Response r = transport.send(ref.registry(), request.build())) {
            if (r.status() == 401 || r.status() == 403) {
                throw hasCredentials(ref) ? refusedCredentials(ref) : needsCredentials(ref);
            }
            if (r.status() != 200) {
                throw new ServiceUnavailableException("the token server of registry " + ref.registry() + " answered " + r.status());
            }
            JsonNode body = ManifestParser.tree(ref.name(), "registry token", r.body().readNBytes(1 << 20));
            String token = body.path("token").asString("");
            if (token.isEmpty()) token = body.path("access_token").asString("");
            if (token.isEmpty()) {
                throw new ServiceUnavailableException("the token server of registry " + ref.registry() + " sent no token");
            }
            long seconds = body.path("expires_in").asLong(DEFAULT_TOKEN_SECONDS);
            if (seconds <= 0) seconds = DEFAULT_TOKEN_SECONDS;
            return new Grant("Bearer " + token, clock.instant().plusSeconds(Math.max(0, seconds - EXPIRY_MARGIN_SECONDS)));
        } catch (IOException e) {
            throw new ServiceUnavailableException("reading a token for registry " + ref.registry() + " failed: " + e.getMessage());
        }
    }

    private static boolean hasCredentials(ImageReference.Registry ref) {
        return !ref.username().isEmpty();
    }

    private static String basic(ImageReference.Registry ref) {
        return "Basic " + Base64.getEncoder().encodeToString(
                (ref.username() + ":" + ref.password()).getBytes(StandardCharsets.UTF_8));
    }

    private static InvalidRequestException refusedCredentials(ImageReference.Registry ref) {
        return new InvalidRequestException("registry " + ref.registry() + " refused the credentials for user "
                + ref.username() + " (image " + ref.name() + ")");
    }

    private static InvalidRequestException needsCredentials(ImageReference.Registry ref) {
        return new InvalidRequestException("registry " + ref.registry() + " needs credentials to pull " + ref.name()
                + " (or the repository does not exist); give them in the image's username and password");
    }

    private static Key key(ImageReference.Registry ref) {
        return new Key(ref.registry(), ref.repository(), ref.username(),
                Digest.sha256(ref.password().getBytes(StandardCharsets.UTF_8)).hex());
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
