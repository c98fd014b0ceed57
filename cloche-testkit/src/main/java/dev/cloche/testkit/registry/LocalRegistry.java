package dev.cloche.testkit.registry;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * A real distribution registry for tests: Debian's {@code docker-registry} on a free loopback port, with its own
 * storage directory and, optionally, htpasswd (bcrypt) basic auth or bearer-token auth (a {@link TokenServer} on
 * loopback). {@link #close()} stops both and deletes their files.
 */
public final class LocalRegistry implements AutoCloseable {
    public static final String PROGRAM = "docker-registry";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    /** A user the registry accepts. */
    public record Credentials(String username, String password) { }

    private enum Auth { NONE, HTPASSWD, TOKEN }

    private final Path dir;
    private final int port;
    private final Optional<Credentials> credentials;
    private final Process process;
    private final Optional<TokenServer> tokens;

    private LocalRegistry(Path dir, int port, Optional<Credentials> credentials, Process process, Optional<TokenServer> tokens) {
        this.dir = dir;
        this.port = port;
        this.credentials = credentials;
        this.process = process;
        this.tokens = tokens;
    }

    /** An anonymous registry. */
    public static LocalRegistry start() {
        return start(Auth.NONE, Optional.empty());
    }

    /** A registry that takes only this user, with basic auth (htpasswd, bcrypt). */
    public static LocalRegistry startWithAuth(String username, String password) {
        return start(Auth.HTPASSWD, Optional.of(new Credentials(username, password)));
    }

    /** A registry that wants bearer tokens, which its token server hands out to this user only. */
    public static LocalRegistry startWithTokenAuth(String username, String password) {
        return start(Auth.TOKEN, Optional.of(new Credentials(username, password)));
    }

    private static LocalRegistry start(Auth auth, Optional<Credentials> credentials) {
        Path dir;
        try {
            dir = Files.createTempDirectory("cloche-registry-");
        } catch (IOException e) {
            throw new IllegalStateException("cannot make the registry's directory", e);
        }
        Optional<TokenServer> tokens = Optional.empty();
        try {
            if (auth == Auth.TOKEN) tokens = Optional.of(new TokenServer(dir, credentials.orElseThrow()));
            IllegalStateException last = null;
            // the free port is found before the registry binds it, so another process may take it first: try again
            for (int attempt = 0; attempt < 3; attempt++) {
                int port = freePort();
                Path config = writeConfig(dir, port, auth, credentials, tokens);
                Path log = dir.resolve("registry.log");
                Process p = new ProcessBuilder(PROGRAM, "serve", config.toString()).redirectErrorStream(true)
                        .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
                LocalRegistry registry = new LocalRegistry(dir, port, credentials, p, tokens);
                try {
                    registry.awaitReady(log);
                    return registry;
                } catch (IllegalStateException e) {
                    registry.stop();
                    last = e;
                }
            }
            throw last;
        } catch (IOException | RuntimeException e) {
            tokens.ifPresent(TokenServer::close);
            Programs.deleteTree(dir);
            throw e instanceof RuntimeException r ? r : new IllegalStateException("cannot start " + PROGRAM + ": " + e.getMessage(), e);
        }
    }

    /** {@code 127.0.0.1:<port>}, as an image reference's registry. */
    public String address() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Optional<Credentials> credentials() {
        return credentials;
    }

    /** The token server of a registry started with token auth. */
    public Optional<TokenServer> tokenServer() {
        return tokens;
    }

    /** The registry's storage root (filesystem driver). */
    public Path storage() {
        return dir.resolve("storage");
    }

    /** The file holding a blob's bytes ({@code sha256:<hex>}), e.g. to corrupt it. */
    public Path blobFile(String digest) {
        String hex = digest.substring(digest.indexOf(':') + 1);
        return storage().resolve("docker/registry/v2/blobs/sha256").resolve(hex.substring(0, 2)).resolve(hex).resolve("data");
    }

    @Override
    public void close() {
        stop();
        tokens.ifPresent(TokenServer::close);
        Programs.deleteTree(dir);
    }

    private void stop() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private void awaitReady(Path log) {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()) {
            HttpRequest ping = HttpRequest.newBuilder(URI.create("http://" + address() + "/v2/")).timeout(Duration.ofSeconds(2)).build();
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) throw new IllegalStateException(PROGRAM + " exited " + process.exitValue() + ": " + tail(log));
                try {
                    int status = http.send(ping, HttpResponse.BodyHandlers.discarding()).statusCode();
                    if (status == 200 || status == 401) return;
                } catch (IOException notYet) {
                    // not listening yet
                }
                Thread.sleep(50);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting " + PROGRAM, e);
        }
        throw new IllegalStateException(PROGRAM + " did not answer /v2/ within " + START_TIMEOUT.toSeconds() + " s: " + tail(log));
    }

    private static String tail(Path log) {
        try {
            String s = Files.readString(log);
            return s.length() > 2000 ? s.substring(s.length() - 2000) : s;
        } catch (IOException e) {
            return "(no log)";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            return s.getLocalPort();
        }
    }

    private static Path writeConfig(Path dir, int port, Auth auth, Optional<Credentials> credentials,
                                    Optional<TokenServer> tokens) throws IOException {
        StringBuilder yaml = new StringBuilder();
        yaml.append("version: 0.1\n")
                .append("log:\n  level: warn\n  accesslog:\n    disabled: true\n")
                .append("storage:\n  filesystem:\n    rootdirectory: ").append(dir.resolve("storage")).append('\n')
                .append("  delete:\n    enabled: true\n")
                .append("  maintenance:\n    uploadpurging:\n      enabled: false\n")
                .append("http:\n  addr: 127.0.0.1:").append(port).append('\n')
                .append("  secret: ").append(UUID.randomUUID()).append('\n');
        if (auth == Auth.TOKEN) {
            yaml.append("auth:\n  token:\n    realm: ").append(tokens.orElseThrow().realm()).append('\n')
                    .append("    service: ").append(TokenServer.SERVICE).append('\n')
                    .append("    issuer: ").append(TokenServer.ISSUER).append('\n')
                    .append("    rootcertbundle: ").append(tokens.orElseThrow().certificateFile()).append('\n');
        } else if (auth == Auth.HTPASSWD) {
            Path htpasswd = dir.resolve("htpasswd");
            Files.writeString(htpasswd, Programs.run("htpasswd", "-Bbn", credentials.get().username(), credentials.get().password()));
            yaml.append("auth:\n  htpasswd:\n    realm: cloche-test\n    path: ").append(htpasswd).append('\n');
        }
        Path config = dir.resolve("config.yml");
        Files.writeString(config, yaml);
        return config;
    }
}
