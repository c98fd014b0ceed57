package dev.cloche.image.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.image.Descriptor;
import dev.cloche.image.ImageConfig;
import dev.cloche.image.ImageContent;
import dev.cloche.image.ImageReference;
import dev.cloche.image.ImageSource;
import dev.cloche.image.RegistryPolicy;
import dev.cloche.image.ResolvedImage;
import dev.cloche.image.manifest.MediaTypes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RegistryClientTest {
    private static final RegistrySettings FAST = new RegistrySettings(Duration.ofSeconds(2), Duration.ofMillis(500), 3, Duration.ofMillis(10));
    private static final ImageContent.Image IMAGE = ImageContent.image(
            List.of(ImageContent.tar(Map.of("etc/one", "1")), ImageContent.tar(Map.of("etc/two", "2"))),
            List.of("PATH=/opt/bin:/usr/bin:/bin"), "1000:1000", "/home/app");

    private final TestRegistryServer registry;
    private final RegistryClient client = new RegistryClient(new RegistryPolicy(RegistryPolicy.DOCKER_HUB, Set.of()), FAST);

    RegistryClientTest() throws IOException {
        registry = new TestRegistryServer();
        registry.put("team/app", "v1", IMAGE);
    }

    @AfterEach
    void close() {
        client.close();
        registry.close();
    }

    private ImageSource source(String uri) {
        return source(uri, "", "");
    }

    private ImageSource source(String uri, String user, String password) {
        return client.source((ImageReference.Registry) ImageReference.parse(
                new ImageRef("docker://" + registry.address() + "/" + uri, user, password), RegistryPolicy.DOCKER_HUB));
    }

    private static byte[] readAll(ImageSource source, Descriptor d) throws IOException {
        try (InputStream in = source.openBlob(d)) {
            return in.readAllBytes();
        }
    }

    @Test
    void resolvesAnImageAndReadsItsBlobsAnonymously() throws IOException {
        ImageSource source = source("team/app#v1");
        ResolvedImage resolved = source.resolve();

        assertThat(resolved.reference()).isEqualTo(registry.address() + "/team/app:v1");
        assertThat(resolved.manifestDigest()).isEqualTo(IMAGE.manifest().digest());
        assertThat(resolved.layers()).containsExactlyElementsOf(IMAGE.layers().stream().map(ImageContent.Blob::descriptor).toList());
        assertThat(resolved.diffIds()).isEqualTo(IMAGE.diffIds());
        assertThat(resolved.config()).isEqualTo(new ImageConfig(List.of("PATH=/opt/bin:/usr/bin:/bin"), "1000:1000", "/home/app"));
        for (int i = 0; i < IMAGE.layers().size(); i++) {
            assertThat(readAll(source, resolved.layers().get(i))).isEqualTo(IMAGE.layers().get(i).bytes());
        }
        assertThat(registry.requests).allMatch(r -> r.authorization() == null);
    }

    @Test
    void aDigestReferenceIsCheckedAgainstTheManifest() {
        assertThat(source("team/app@" + IMAGE.manifest().digest()).resolve().manifestDigest()).isEqualTo(IMAGE.manifest().digest());
        ImageContent.Blob other = new ImageContent.Blob(MediaTypes.OCI_MANIFEST, "{}".getBytes(StandardCharsets.UTF_8));
        // the registry serves this image's manifest under another image's digest
        registry.manifests.put("team/app:" + other.digest(), IMAGE.manifest());
        assertThatThrownBy(() -> source("team/app@" + other.digest()).resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("whose digest is " + IMAGE.manifest().digest());
    }

    @Test
    void aWrongDockerContentDigestIsRefused() {
        registry.hook = exchange -> {
            if (!exchange.getRequestURI().getPath().endsWith("/manifests/v1")) return false;
            exchange.getResponseHeaders().set("Content-Type", MediaTypes.OCI_MANIFEST);
            exchange.getResponseHeaders().set("Docker-Content-Digest", "sha256:" + "0".repeat(64));
            TestRegistryServer.send(exchange, 200, IMAGE.manifest().bytes());
            return true;
        };
        assertThatThrownBy(() -> source("team/app#v1").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("says its manifest is sha256:000");
    }

    @Test
    void aManifestListPicksLinuxAmd64() {
        ImageContent.Image arm = ImageContent.image(MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_CONFIG, MediaTypes.DOCKER_LAYER_GZIP,
                List.of(ImageContent.tar(Map.of("arm", "x"))), List.of(), "", "", "arm64");
        ImageContent.Image amd = ImageContent.image(MediaTypes.DOCKER_MANIFEST, MediaTypes.DOCKER_CONFIG, MediaTypes.DOCKER_LAYER_GZIP,
                List.of(ImageContent.tar(Map.of("amd", "x"))), List.of("A=1"), "", "", "amd64");
        registry.put("multi", null, arm);
        registry.put("multi", null, amd);
        Map<ImageContent.Blob, String> platforms = new LinkedHashMap<>();
        platforms.put(arm.manifest(), "linux/arm64");
        platforms.put(amd.manifest(), "linux/amd64");
        registry.putManifest("multi", "latest", ImageContent.index(MediaTypes.DOCKER_MANIFEST_LIST, platforms));

        ResolvedImage resolved = source("multi").resolve();

        assertThat(resolved.manifestDigest()).isEqualTo(amd.manifest().digest());
        assertThat(resolved.diffIds()).isEqualTo(amd.diffIds());
        assertThat(registry.count("/manifests/" + arm.manifest().digest())).isZero();

        registry.putManifest("armonly", "latest", ImageContent.index(MediaTypes.OCI_INDEX, Map.of(arm.manifest(), "linux/arm64")));
        registry.put("armonly", null, arm);
        assertThatThrownBy(() -> source("armonly").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("no linux/amd64 image (it has: linux/arm64)");
    }

    @Test
    void schema1IsRefused() {
        registry.putManifest("old", "v1", new ImageContent.Blob(MediaTypes.DOCKER_SCHEMA1_SIGNED,
                "{\"schemaVersion\":1,\"name\":\"old\",\"tag\":\"v1\",\"fsLayers\":[],\"signatures\":[]}".getBytes(StandardCharsets.UTF_8)));
        assertThatThrownBy(() -> source("old#v1").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("schema 1");
    }

    @Test
    void aMissingTagOrRepositoryIsAClearErrorWithoutRetry() {
        assertThatThrownBy(() -> source("team/app#nope").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(registry.address() + "/team/app:nope").hasMessageContaining("not found: no tag nope in repository team/app")
                .hasMessageContaining("on registry " + registry.address());
        assertThat(registry.count("/manifests/nope")).isEqualTo(1);
        assertThatThrownBy(() -> source("nobody/here").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("repository nobody/here does not exist");
    }

    @Test
    void a503IsRetriedThenSucceeds() throws IOException {
        AtomicInteger failures = new AtomicInteger(2);
        Descriptor layer = IMAGE.layers().getFirst().descriptor();
        registry.hook = exchange -> {
            if (!exchange.getRequestURI().getPath().endsWith(layer.digest().toString()) || failures.getAndDecrement() <= 0) return false;
            TestRegistryServer.error(exchange, 503, "UNAVAILABLE");
            return true;
        };
        assertThat(readAll(source("team/app#v1"), layer)).isEqualTo(IMAGE.layers().getFirst().bytes());
        assertThat(registry.count("/blobs/" + layer.digest())).isEqualTo(3);
    }

    @Test
    void aRegistryFailingEveryAttemptIsUnavailable() {
        registry.hook = exchange -> {
            TestRegistryServer.error(exchange, 429, "TOOMANYREQUESTS");
            return true;
        };
        assertThatThrownBy(() -> source("team/app#v1").resolve()).isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("answered 429").hasMessageContaining("3 attempts");
        assertThat(registry.count("/manifests/v1")).isEqualTo(3);
    }

    @Test
    void anUnreachableRegistryIsUnavailable() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        ImageSource source = client.source(new ImageReference.Registry("127.0.0.1:" + port, "app", "latest", "", ""));
        assertThatThrownBy(source::resolve).isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("registry 127.0.0.1:" + port + " is unavailable").hasMessageContaining("ConnectException");
    }

    @Test
    void aBearerChallengeGetsATokenThatIsCachedPerRepository() {
        String basic = "Basic " + Base64.getEncoder().encodeToString("alice:s3cret".getBytes(StandardCharsets.UTF_8));
        registry.hook = exchange -> {
            String path = exchange.getRequestURI().getPath();
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            if (path.equals("/token")) {
                if (!basic.equals(auth)) {
                    TestRegistryServer.send(exchange, 401, new byte[0]);
                    return true;
                }
                // some token servers answer access_token only
                TestRegistryServer.send(exchange, 200, "{\"access_token\":\"tok-123\",\"expires_in\":300}".getBytes(StandardCharsets.UTF_8));
                return true;
            }
            if (!"Bearer tok-123".equals(auth)) {
                exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + registry.address()
                        + "/token\",service=\"test registry\",scope=\"repository:team/app:pull\"");
                TestRegistryServer.error(exchange, 401, "UNAUTHORIZED");
                return true;
            }
            return false;
        };
        ImageSource source = source("team/app#v1", "alice", "s3cret");
        assertThat(source.resolve().manifestDigest()).isEqualTo(IMAGE.manifest().digest());
        assertThat(source("team/app#v1", "alice", "s3cret").resolve().manifestDigest()).isEqualTo(IMAGE.manifest().digest());

        assertThat(registry.count("/token")).isEqualTo(1);
        assertThat(registry.requests.stream().filter(r -> r.path().startsWith("/token")).findFirst().orElseThrow().path())
                .isEqualTo("/token?service=test+registry&scope=repository%3Ateam%2Fapp%3Apull");

        assertThatThrownBy(() -> source("team/app#v1", "alice", "wrong").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("refused the credentials for user alice").hasMessageNotContaining("wrong");
        assertThatThrownBy(() -> source("team/app#v1").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("needs credentials");
    }

    @Test
    void oneSourceServesConcurrentReaders() throws Exception {
        registry.hook = exchange -> {
            if (exchange.getRequestURI().getPath().equals("/token")) {
                TestRegistryServer.send(exchange, 200, "{\"token\":\"shared\"}".getBytes(StandardCharsets.UTF_8));
                return true;
            }
            if ("Bearer shared".equals(exchange.getRequestHeaders().getFirst("Authorization"))) return false;
            exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer realm=\"http://" + registry.address() + "/token\"");
            TestRegistryServer.error(exchange, 401, "UNAUTHORIZED");
            return true;
        };
        ImageSource source = source("team/app#v1");
        ResolvedImage resolved = source.resolve();
        try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<byte[]>> reads = new java.util.ArrayList<>();
            for (int i = 0; i < 16; i++) {
                Descriptor layer = resolved.layers().get(i % 2);
                reads.add(threads.submit(() -> readAll(source, layer)));
            }
            for (int i = 0; i < reads.size(); i++) {
                assertThat(reads.get(i).get()).isEqualTo(IMAGE.layers().get(i % 2).bytes());
            }
        }
        assertThat(registry.count("/token")).isEqualTo(1);
    }

    @Test
    void aBasicChallengeIsAnsweredWithTheReferencesCredentials() throws IOException {
        String basic = "Basic " + Base64.getEncoder().encodeToString("bob:pw".getBytes(StandardCharsets.UTF_8));
        registry.hook = exchange -> {
            if (basic.equals(exchange.getRequestHeaders().getFirst("Authorization"))) return false;
            exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"registry\"");
            TestRegistryServer.error(exchange, 401, "UNAUTHORIZED");
            return true;
        };
        ImageSource source = source("team/app#v1", "bob", "pw");
        ResolvedImage resolved = source.resolve();
        assertThat(readAll(source, resolved.layers().getFirst())).isEqualTo(IMAGE.layers().getFirst().bytes());

        assertThatThrownBy(() -> source("team/app#v1").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("registry " + registry.address() + " needs credentials");
        assertThatThrownBy(() -> source("team/app#v1", "bob", "pw2").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("refused the credentials for user bob").hasMessageNotContaining("pw2");
    }

    @Test
    void aRedirectToAnotherHostDropsTheAuthorizationHeader() throws IOException {
        Descriptor layer = IMAGE.layers().getFirst().descriptor();
        Descriptor second = IMAGE.layers().get(1).descriptor();
        String basic = "Basic " + Base64.getEncoder().encodeToString("bob:pw".getBytes(StandardCharsets.UTF_8));
        try (TestRegistryServer store = new TestRegistryServer("127.0.0.2")) {
            store.hook = exchange -> {
                TestRegistryServer.send(exchange, 200, IMAGE.layers().getFirst().bytes());
                return true;
            };
            registry.hook = exchange -> {
                if (!basic.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                    exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"registry\"");
                    TestRegistryServer.error(exchange, 401, "UNAUTHORIZED");
                    return true;
                }
                String path = exchange.getRequestURI().getPath();
                if (path.endsWith("/blobs/" + layer.digest())) {
                    exchange.getResponseHeaders().set("Location", "http://" + store.address() + "/store/" + layer.digest() + "?sig=abc");
                    TestRegistryServer.send(exchange, 307, new byte[0]);
                    return true;
                }
                if (path.endsWith("/blobs/" + second.digest())) {
                    // a redirect within the registry keeps the credentials
                    exchange.getResponseHeaders().set("Location", "/v2/team/app/blobs/" + second.digest() + "x");
                    TestRegistryServer.send(exchange, 302, new byte[0]);
                    return true;
                }
                if (path.endsWith("/blobs/" + second.digest() + "x")) {
                    TestRegistryServer.send(exchange, 200, IMAGE.layers().get(1).bytes());
                    return true;
                }
                return false;
            };
            ImageSource source = source("team/app#v1", "bob", "pw");
            assertThat(readAll(source, layer)).isEqualTo(IMAGE.layers().getFirst().bytes());
            assertThat(readAll(source, second)).isEqualTo(IMAGE.layers().get(1).bytes());

            assertThat(store.requests).hasSize(1);
            assertThat(store.requests.getFirst().path()).isEqualTo("/store/" + layer.digest() + "?sig=abc");
            assertThat(store.requests.getFirst().authorization()).isNull();
            assertThat(registry.requests.stream().filter(r -> r.path().endsWith(second.digest() + "x")).findFirst().orElseThrow()
                    .authorization()).isEqualTo(basic);
        }
    }

    @Test
    void aBlobWithOtherBytesFailsVerificationAtTheEnd() throws IOException {
        Descriptor layer = IMAGE.layers().getFirst().descriptor();
        byte[] corrupt = IMAGE.layers().getFirst().bytes().clone();
        corrupt[corrupt.length / 2] ^= 0x55;
        registry.blobs.put(layer.digest().toString(), corrupt);
        try (InputStream in = source("team/app#v1").openBlob(layer)) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(ImageSource.BlobVerificationException.class)
                    .hasMessageContaining(layer.digest().toString()).hasMessageContaining("does not match its digest");
        }
        registry.blobs.put(layer.digest().toString(), new byte[3]);
        assertThatThrownBy(() -> source("team/app#v1").openBlob(layer)).isInstanceOf(ImageSource.BlobVerificationException.class)
                .hasMessageContaining("has 3 bytes");
    }

    @Test
    void aCorruptConfigFailsTheResolve() {
        registry.blobs.put(IMAGE.config().digest().toString(), "{\"rootfs\":{\"diff_ids\":[]}}".getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> source("team/app#v1").resolve()).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining(IMAGE.config().digest().toString());
    }

    @Test
    void aStalledBodyTimesOut() throws IOException {
        Descriptor layer = IMAGE.layers().getFirst().descriptor();
        registry.hook = exchange -> {
            if (!exchange.getRequestURI().getPath().endsWith("/blobs/" + layer.digest())) return false;
            exchange.sendResponseHeaders(200, layer.size());
            OutputStream out = exchange.getResponseBody();
            out.write(IMAGE.layers().getFirst().bytes(), 0, 4);
            out.flush();
            sleep(3000);
            return true;
        };
        long start = System.nanoTime();
        try (InputStream in = source("team/app#v1").openBlob(layer)) {
            assertThatThrownBy(in::readAllBytes).isInstanceOf(HttpTimeoutException.class).hasMessageContaining("sent nothing");
        }
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2500));
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
