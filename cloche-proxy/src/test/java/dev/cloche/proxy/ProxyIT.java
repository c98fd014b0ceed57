package dev.cloche.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.BindMount;
import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.linux.LinuxBackendProvider;
import dev.cloche.spi.ContainerBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The proxy for real: the in-process core over the Linux backend with networking, Java's HTTP and websocket clients. */
class ProxyIT {
    private static final String PARENT = "cloche-proxy-it";
    private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]+)\"");
    private static Path dir;
    private static ContainerBackend backend;
    private static GardenClient garden;
    private static ProxyConfig config;
    private static Proxy proxy;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void setUp() throws Exception {
        dir = Files.createTempDirectory("cloche-proxy-it", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path wsecho = dir.resolve("wsecho");
        Path src = Path.of("src/test/native/wsecho.c").toAbsolutePath();
        Process gcc = new ProcessBuilder("gcc", "-static", "-O2", "-o", wsecho.toString(), src.toString()).inheritIO().start();
        assertThat(gcc.waitFor()).isZero();
        Path kahttpd = dir.resolve("kahttpd");
        gcc = new ProcessBuilder("gcc", "-static", "-O2", "-o", kahttpd.toString(), Path.of("src/test/native/kahttpd.c").toAbsolutePath().toString())
                .inheritIO().start();
        assertThat(gcc.waitFor()).isZero();
        backend = new LinuxBackendProvider().create(Map.of("depot", dir.resolve("depot").toString(),
                "runtimeRoot", dir.resolve("runtime").toString(), "cgroupParent", PARENT,
                "defaultRootfs", System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs"),
                "initBinary", System.getProperty("cloche.init", "/var/lib/cloche/bin/cloche-init"),
                "networkPool", "10.251.0.0/22", "networkPrefix", "clpx", "portPool", "44000-44099"));
        garden = ContainerManager.start(backend, CoreConfig.DEFAULTS);
        Template base = Template.DEFAULT.withTtl(Duration.ofMinutes(10));
        config = ProxyConfig.of(new InetSocketAddress("127.0.0.1", 0), List.of(
                base.withMaxLive(25),
                base.withName("files").withMaxLive(2).withCommand(List.of("/bin/sh", "-c",
                        "mkdir -p /www/cgi-bin && dd if=/dev/urandom of=/www/big bs=1M count=64 2>/dev/null"
                                + " && sha256sum /www/big | cut -d' ' -f1 > /www/big.sha"
                                + " && printf '#!/bin/sh\\necho Content-Type: text/plain\\necho\\nsha256sum | cut -d\" \" -f1\\n' > /www/cgi-bin/sum"
                                + " && chmod +x /www/cgi-bin/sum && exec httpd -f -p 8080 -h /www")),
                base.withName("ws").withPort(8081).withCommand(List.of("/opt/wsecho", "8081"))
                        .withBindMounts(List.of(new BindMount(wsecho.toString(), "/opt/wsecho", BindMount.Mode.RO, BindMount.Origin.HOST))),
                base.withName("short").withTtl(Duration.ofSeconds(2)),
                base.withName("ka").withCommand(List.of("/opt/kahttpd", "8080"))
                        .withBindMounts(List.of(new BindMount(kahttpd.toString(), "/opt/kahttpd", BindMount.Mode.RO, BindMount.Origin.HOST))),
                base.withName("wsshort").withPort(8081).withCommand(List.of("/opt/wsecho", "8081")).withTtl(Duration.ofSeconds(3))
                        .withBindMounts(List.of(new BindMount(wsecho.toString(), "/opt/wsecho", BindMount.Mode.RO, BindMount.Origin.HOST))),
                base.withName("single").withMaxLive(1).withLimits(dev.cloche.api.Limits.NONE
                        .withMemory(new dev.cloche.api.MemoryLimits(96L << 20)).withCpu(new dev.cloche.api.CpuLimits(300, 0))),
                base.withName("broken").withCommand(List.of("/bin/sh", "-c", "echo boom >&2; exit 3")),
                base.withName("warm").withWarm(1)));
        proxy = Proxy.start(garden, config);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (proxy != null) proxy.close();
        List<String> left = new ArrayList<>();
        if (garden != null) {
            for (Container c : garden.containers(Map.of())) {
                left.add(c.handle());
                c.destroy();
            }
            garden.close();
        }
        if (backend != null) backend.close();
        new ProcessBuilder("sh", "-c", "grep ' " + dir + "' /proc/self/mounts | cut -d' ' -f2 | xargs -r -n1 umount -l;"
                + " for d in /sys/fs/cgroup/*/" + PARENT + "; do [ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir {} \\; ; done;"
                + " rm -rf " + dir).inheritIO().start().waitFor(60, TimeUnit.SECONDS);
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + proxy.address().getPort() + path;
    }

    private static HttpResponse<String> send(String method, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url(path))).method(method, HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(90)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static String create(String template) throws Exception {
        HttpResponse<String> r = send("POST", "/demo/new" + (template.isEmpty() ? "" : "?template=" + template));
        assertThat(r.statusCode()).as("create %s: %s", template, r.body()).isEqualTo(201);
        Matcher m = ID.matcher(r.body());
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    @Test
    void createFetchDescribeListAndDelete() throws Exception {
        String id = create("");
        HttpResponse<String> page = send("GET", "/demo/" + id + "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Hello from a Cloche environment");
        assertThat(send("GET", "/demo/" + id + "/missing.html").statusCode()).isEqualTo(404);
        HttpResponse<String> info = send("GET", "/demo/" + id);
        assertThat(info.body()).contains("\"template\":\"default\"", "\"expires\":", "\"created\":", "/demo/" + id + "/");
        assertThat(send("GET", "/demo").body()).contains(id);
        HttpResponse<String> browser = HTTP.send(HttpRequest.newBuilder(URI.create(url("/demo/new"))).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(browser.statusCode()).isEqualTo(303);
        assertThat(browser.headers().firstValue("location").orElse("")).matches("/demo/[0-9a-f]+/");
        assertThat(send("DELETE", "/demo/" + id).statusCode()).isEqualTo(204);
        assertThat(send("GET", "/demo/" + id + "/").statusCode()).isEqualTo(410);
        assertThat(garden.containers(Map.of("proxy.id", id))).isEmpty();
        assertThat(send("GET", "/demo/00000000/").statusCode()).isEqualTo(404);
        assertThat(send("POST", "/demo/new?template=nope").statusCode()).isEqualTo(404);
    }

    @Test
    void largeUploadsAndDownloadsStreamIntact() throws Exception {
        String id = create("files");
        String expected = send("GET", "/demo/" + id + "/big.sha").body().strip();
        HttpResponse<InputStream> big = HTTP.send(HttpRequest.newBuilder(URI.create(url("/demo/" + id + "/big"))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(big.statusCode()).isEqualTo(200);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long n = 0;
        try (InputStream in = big.body()) {
            byte[] buf = new byte[65536];
            for (int r; (r = in.read(buf)) > 0; n += r) sha.update(buf, 0, r);
        }
        assertThat(n).isEqualTo(64L << 20);
        assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(expected);

        byte[] upload = new byte[64 << 20];
        new Random(42).nextBytes(upload);
        String local = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(upload));
        HttpResponse<String> sum = HTTP.send(HttpRequest.newBuilder(URI.create(url("/demo/" + id + "/cgi-bin/sum")))
                .POST(HttpRequest.BodyPublishers.ofByteArray(upload)).timeout(Duration.ofSeconds(120)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(sum.statusCode()).as(sum.body()).isEqualTo(200);
        assertThat(sum.body().strip()).isEqualTo(local);

        // curl too: above 1 MiB it asks "Expect: 100-continue" and waits for the interim answer (or 1 s)
        Path file = dir.resolve("upload.bin");
        Files.write(file, java.util.Arrays.copyOf(upload, 8 << 20));
        String local8 = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        java.lang.Process curl = new ProcessBuilder("curl", "-sS", "--fail-with-body", "-m", "60", "--data-binary", "@" + file,
                "-H", "Content-Type: application/octet-stream", url("/demo/" + id + "/cgi-bin/sum")).redirectErrorStream(true).start();
        String out = new String(curl.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(curl.waitFor()).as(out).isZero();
        assertThat(out.strip()).isEqualTo(local8);
        Files.delete(file);
    }

    @Test
    void websocketsAreTunnelled() throws Exception {
        String id = create("ws");
        CompletableFuture<String> echoed = new CompletableFuture<>();
        WebSocket ws = TestWebSockets.connect(HTTP, URI.create("ws://127.0.0.1:" + proxy.address().getPort() + "/demo/" + id + "/"),
                echoed, new CompletableFuture<>(), 30);
        ws.sendText("hello through the proxy", true).get(10, TimeUnit.SECONDS);
        assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo("hello through the proxy");
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
    }

    @Test
    void anEnvironmentEndsAtItsTtl() throws Exception {
        String id = create("short");
        assertThat(send("GET", "/demo/" + id + "/").statusCode()).isEqualTo(200);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (send("GET", "/demo/" + id + "/").statusCode() != 410) {
            assertThat(System.nanoTime()).as("still alive after its TTL").isLessThan(deadline);
            Thread.sleep(200);
        }
        assertThat(garden.containers(Map.of("proxy.id", id))).isEmpty();
    }

    @Test
    void upstreamConnectionsAreKeptAlive() throws Exception {
        String id = create("ka");
        HttpClient http11 = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<String> bodies = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> r = http11.send(HttpRequest.newBuilder(URI.create(url("/demo/" + id + "/x" + i))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            bodies.add(r.body());
        }
        // kahttpd counts the requests each connection carried: one client connection, one upstream connection
        assertThat(bodies.get(2)).contains("request 3 on this connection");
        assertThat(send("DELETE", "/demo/" + id).statusCode()).isEqualTo(204);
    }

    @Test
    void aWebsocketIsClosedWhenItsEnvironmentExpires() throws Exception {
        String id = create("wsshort");
        CompletableFuture<String> echoed = new CompletableFuture<>();
        CompletableFuture<String> ended = new CompletableFuture<>();
        WebSocket ws = TestWebSockets.connect(HTTP, URI.create("ws://127.0.0.1:" + proxy.address().getPort() + "/demo/" + id + "/"),
                echoed, ended, 30);
        ws.sendText("still there?", true).get(10, TimeUnit.SECONDS);
        assertThat(echoed.get(10, TimeUnit.SECONDS)).isEqualTo("still there?");
        // the TTL (3 s) ends the tunnel: the client learns it, the id answers 410, the container is gone
        assertThat(ended.get(30, TimeUnit.SECONDS)).isNotEmpty();
        assertThat(send("GET", "/demo/" + id + "/").statusCode()).isEqualTo(410);
        assertThat(garden.containers(Map.of("proxy.id", id))).isEmpty();
    }

    @Test
    void twentyEnvironmentsAtOnce() throws Exception {
        List<CompletableFuture<String>> made = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            made.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return create("");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }));
        }
        List<String> ids = new ArrayList<>();
        for (CompletableFuture<String> f : made) ids.add(f.get(180, TimeUnit.SECONDS));
        assertThat(ids).doesNotHaveDuplicates();
        for (String id : ids) assertThat(send("GET", "/demo/" + id + "/").statusCode()).isEqualTo(200);
        for (String id : ids) assertThat(send("DELETE", "/demo/" + id).statusCode()).isEqualTo(204);
    }

    @Test
    void refusalsAreClearAndTheProxyKeepsServing() throws Exception {
        String only = create("single");
        Container limited = garden.containers(Map.of("proxy.id", only)).getFirst();
        assertThat(limited.currentMemoryLimits().limitInBytes()).isEqualTo(96L << 20); // the template's limits applied
        assertThat(limited.currentCpuLimits().weight()).isEqualTo(300);
        HttpResponse<String> full = send("POST", "/demo/new?template=single");
        assertThat(full.statusCode()).isEqualTo(429);
        assertThat(full.body()).contains("maximum of 1");

        HttpResponse<String> broken = send("POST", "/demo/new?template=broken");
        assertThat(broken.statusCode()).isEqualTo(502);
        assertThat(broken.body()).contains("boom", "status 3");
        assertThat(garden.containers(Map.of("proxy.template", "broken"))).isEmpty();

        // the server inside dies: requests to it get 502, everyone else is served
        Container c = garden.containers(Map.of("proxy.id", only)).getFirst();
        assertThat(c.run(ProcessSpec.of("killall", "httpd"), ProcessIO.output(new ByteArrayOutputStream(), new ByteArrayOutputStream())).await()).isZero();
        assertThat(send("GET", "/demo/" + only + "/").statusCode()).isEqualTo(502);
        String other = create("");
        assertThat(send("GET", "/demo/" + other + "/").statusCode()).isEqualTo(200);
        send("DELETE", "/demo/" + only);
        send("DELETE", "/demo/" + other);
    }

    @Test
    void aRestartedProxyFindsItsEnvironmentsAgain() throws Exception {
        String id = create("");
        String before = send("GET", "/demo/" + id).body();
        proxy.close();
        proxy = Proxy.start(garden, config);
        assertThat(send("GET", "/demo/" + id).body()).isEqualTo(before.replaceAll(":\\d+/demo", ":" + proxy.address().getPort() + "/demo"));
        assertThat(send("GET", "/demo/" + id + "/").statusCode()).isEqualTo(200);
        assertThat(send("DELETE", "/demo/" + id).statusCode()).isEqualTo(204);
    }

    @Test
    void aWarmTemplatesEnvironmentRunsInAContainerMadeAheadAndAnotherIsMade() throws Exception {
        awaitMadeAhead(1);
        String id = create("warm");
        assertThat(send("GET", "/demo/" + id + "/").statusCode()).isEqualTo(200);
        assertThat(garden.containers(Map.of("proxy.id", id))).singleElement()
                .satisfies(c -> assertThat(c.handle()).startsWith("proxy-warm-"));
        awaitMadeAhead(1);
        assertThat(send("DELETE", "/demo/" + id).statusCode()).isEqualTo(204);
        assertThat(garden.containers(Map.of("proxy.id", id))).isEmpty();
    }

    /** Waits until {@code n} containers made ahead (not yet environments) exist. */
    private static void awaitMadeAhead(int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (madeAhead() < n && System.nanoTime() < deadline) Thread.sleep(50);
        assertThat(madeAhead()).isEqualTo(n);
    }

    private static long madeAhead() {
        return garden.containers(Map.of(WarmPool.MARK, "true")).stream()
                .filter(c -> !"true".equals(c.properties().get(Environments.MARK))).count();
    }
}
