package dev.cloche.docker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.httpclient5.ApacheDockerHttpClient;
import com.github.dockerjava.transport.DockerHttpClient;
import dev.cloche.api.GardenError;
import dev.cloche.api.ServiceUnavailableException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

/**
 * The engine's API: docker-java's client for the typed calls, its HTTP client for the few it lacks (a file's
 * existence, one-shot stats), and raw connections for exec streams ({@link EngineConnection}).
 */
final class Engine implements AutoCloseable {
    /** Docker's API 1.41 (dockerd 20.10, podman 4's compatible service): everything used here exists in it. */
    static final String API = "/v1.41";

    private final URI host;
    private final DockerHttpClient http;
    private final DockerClient client;
    private final ObjectMapper json = new ObjectMapper();
    /** Exec connections still open: closing the backend ends them, as a daemon's exit would. */
    private final java.util.Set<EngineConnection> connections = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    Engine(URI host) {
        this.host = host;
        var config = DefaultDockerClientConfig.createDefaultConfigBuilder().withDockerHost(host.toString())
                .withApiVersion("1.41").withDockerTlsVerify(false).build();
        this.http = new ApacheDockerHttpClient.Builder().dockerHost(config.getDockerHost())
                .maxConnections(64).connectionTimeout(Duration.ofSeconds(10)).responseTimeout(Duration.ofMinutes(10)).build();
        this.client = DockerClientImpl.getInstance(config, http);
    }

    DockerClient client() {
        return client;
    }

    URI host() {
        return host;
    }

    boolean local() {
        return "unix".equals(host.getScheme());
    }

    /** Checks the engine answers; ServiceUnavailable if not. */
    void ping() {
        try {
            client.pingCmd().exec();
        } catch (RuntimeException e) {
            throw new ServiceUnavailableException("the container engine at " + host + " does not answer: " + e.getMessage(), e);
        }
    }

    /** Whether {@code path} exists in the container (the archive API's stat, which follows no command). */
    boolean exists(String containerId, String path) {
        var request = DockerHttpClient.Request.builder().method("HEAD")
                .path(API + "/containers/" + containerId + "/archive?path=" + URLEncoder.encode(path, StandardCharsets.UTF_8))
                .build();
        try (var response = http.execute(request)) {
            return response.getStatusCode() == 200;
        } catch (RuntimeException e) {
            throw GardenError.internal("could not stat " + path + " in the container: " + e.getMessage(), e);
        }
    }

    /** A GET answered with JSON, e.g. one-shot stats. */
    JsonNode getJson(String path) {
        var request = DockerHttpClient.Request.builder().method(DockerHttpClient.Request.Method.GET).path(API + path).build();
        try (var response = http.execute(request); InputStream body = response.getBody()) {
            if (response.getStatusCode() == 404) throw new com.github.dockerjava.api.exception.NotFoundException(path);
            if (response.getStatusCode() >= 300) {
                throw GardenError.internal("engine answered " + response.getStatusCode() + " to GET " + path + ": "
                        + new String(body.readAllBytes(), StandardCharsets.UTF_8));
            }
            return json.readTree(body);
        } catch (IOException e) {
            throw GardenError.internal("engine call GET " + path + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Imports a rootfs archive as {@code repository:tag} (POST /images/create?fromSrc=-). Raw: docker-java's upload
     * of an archive stream was cut short here ("unexpected EOF" from dockerd), the same file sent whole was not.
     */
    void importImage(java.nio.file.Path archive, String repository, String tag) throws IOException {
        StringBuilder answer = new StringBuilder();
        int status;
        try (EngineConnection c = EngineConnection.open(host, x -> { });
             InputStream in = java.nio.file.Files.newInputStream(archive)) {
            // the tag inside repo: podman's compatible service ignores a separate tag parameter
            status = c.post(API + "/images/create?fromSrc=-&repo="
                    + URLEncoder.encode(repository + ":" + tag, StandardCharsets.UTF_8), "application/x-tar", in,
                    java.nio.file.Files.size(archive), answer);
        }
        if (status >= 300 || answer.toString().contains("\"error")) {
            throw new IOException("import answered " + status + ": " + answer);
        }
    }

    ObjectMapper json() {
        return json;
    }

    EngineConnection connect() throws IOException {
        if (closed) throw new IOException("the backend is closed");
        EngineConnection c = EngineConnection.open(host, connections::remove);
        connections.add(c);
        return c;
    }

    /** True once {@link #close()} began: what an exec's stream does then is the old daemon's business no more. */
    boolean closed() {
        return closed;
    }

    @Override
    public void close() {
        closed = true;
        for (EngineConnection c : List.copyOf(connections)) c.close();
        try {
            client.close();
        } catch (IOException e) {
            // closing: the connections are released either way
        }
    }
}
