package dev.cloche.image.registry;

import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.image.ImageReference;
import dev.cloche.image.RegistryPolicy;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GETs against a registry's {@code /v2/} API: plain HTTP or HTTPS by the policy, the cached authorization and the
 * answer to a 401 challenge (through {@link RegistryAuth}), redirects followed here (so a redirect to another host
 * never carries the Authorization header), and a bounded retry of connection errors, 5xx and 429.
 */
final class RegistryHttp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RegistryHttp.class);
    private static final int MAX_REDIRECTS = 5;

    private final HttpClient client;
    private final RegistryPolicy policy;
    private final RegistrySettings settings;
    private final StallWatchdog watchdog;
    private final RegistryAuth auth;

    RegistryHttp(RegistryPolicy policy, RegistrySettings settings) {
        this.policy = Objects.requireNonNull(policy, "policy");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.watchdog = new StallWatchdog(settings.readTimeout());
        this.auth = new RegistryAuth(this::send, policy::plainHttp);
    }

    /**
     * GETs {@code /v2/<repository>/<path>} of the reference's registry; the answer is never a 401 (that becomes
     * an authentication error) nor a 5xx (that becomes a {@link ServiceUnavailableException} after the retries).
     */
    Response get(ImageReference.Registry ref, String path, String accept) {
        URI uri = URI.create(base(ref.registry()) + "/v2/" + ref.repository() + "/" + path);
        Optional<String> authorization = auth.cached(ref);
        boolean answered = false;
        while (true) {
            Response r = follow(ref.registry(), uri, accept, authorization);
            if (r.status() != 401) return r;
            r.close();
            if (answered) throw auth.refused(ref);
            authorization = Optional.of(auth.answer(ref, r.headers().allValues("WWW-Authenticate")));
            answered = true;
        }
    }

    /** The registry's base URL: http for loopback and insecure registries, https otherwise; Docker Hub's API host. */
    String base(String registry) {
        String host = ImageReference.isDockerHub(registry) ? RegistryPolicy.DOCKER_HUB : registry;
        return (policy.plainHttp(registry) ? "http" : "https") + "://" + host;
    }

    private Response follow(String registry, URI uri, String accept, Optional<String> authorization) {
        String origin = origin(uri);
        URI current = uri;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(current).GET()
                    .timeout(settings.readTimeout()).header("Accept", accept);
            // credentials stay with the registry: a redirect to a blob store elsewhere is sent without them
            if (origin(current).equals(origin)) authorization.ifPresent(a -> request.header("Authorization", a));
            Response r = send(registry, request.build());
            if (!redirect(r.status())) return r;
            String location = r.header("Location");
            r.close();
            if (location.isEmpty()) {
                throw new ServiceUnavailableException("registry " + registry + " answered " + r.status() + " without a Location");
            }
            try {
                current = current.resolve(location);
            } catch (IllegalArgumentException e) {
                throw new ServiceUnavailableException("registry " + registry + " redirected to a malformed location");
            }
            if (!current.getScheme().equals("https") && !current.getScheme().equals("http")) {
                throw new ServiceUnavailableException("registry " + registry + " redirected to a " + current.getScheme() + " URL");
            }
        }
        throw new ServiceUnavailableException("registry " + registry + " redirected more than " + MAX_REDIRECTS + " times");
    }

    /**
     * Sends one request, retrying connection errors, 5xx and 429 with a doubling backoff; the body is guarded by the
     * read timeout. Exhausted retries are a {@link ServiceUnavailableException}. URLs are logged without their query
     * (a blob store's signed URL carries secrets there).
     */
    Response send(String registry, HttpRequest request) {
        if (request.timeout().isEmpty()) {
            request = HttpRequest.newBuilder(request, (name, value) -> true).timeout(settings.readTimeout()).build();
        }
        String what = request.method() + " " + request.uri().getScheme() + "://" + request.uri().getRawAuthority()
                + request.uri().getRawPath();
        String failure = "";
        for (int attempt = 1; attempt <= settings.attempts(); attempt++) {
            if (attempt > 1) pause(settings.backoff().multipliedBy(1L << (attempt - 2)), registry);
            try {
                HttpResponse<InputStream> r = client.send(request, HttpResponse.BodyHandlers.ofInputStream());
                Response response = new Response(r.statusCode(), r.headers(), watchdog.guard(r.body(), what));
                if (r.statusCode() < 500 && r.statusCode() != 429) return response;
                response.close();
                failure = "answered " + r.statusCode();
            } catch (IOException e) {
                failure = "failed: " + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ServiceUnavailableException("interrupted while talking to registry " + registry);
            }
            LOG.debug("registry {}: {} {} (attempt {} of {})", registry, what, failure, attempt, settings.attempts());
        }
        throw new ServiceUnavailableException("registry " + registry + " is unavailable: " + what + " " + failure
                + " (" + settings.attempts() + " attempts)");
    }

    private void pause(Duration d, String registry) {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ServiceUnavailableException("interrupted while waiting to retry registry " + registry);
        }
    }

    private static boolean redirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static String origin(URI uri) {
        int port = uri.getPort() >= 0 ? uri.getPort() : uri.getScheme().equals("https") ? 443 : 80;
        return uri.getScheme() + "://" + String.valueOf(uri.getHost()).toLowerCase(java.util.Locale.ROOT) + ":" + port;
    }

    @Override
    public void close() {
        watchdog.close();
        client.shutdownNow();
    }
}
