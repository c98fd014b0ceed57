package dev.cloche.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.BindMount;
import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.linux.LinuxBackendProvider;
import dev.cloche.spi.ContainerBackend;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Readiness and lifetimes for real: the in-process core over the Linux backend with networking, Java's HTTP and
 * websocket clients. A server that becomes ready slowly, a readiness timeout, idle expiry, activity (requests, a
 * long download, an open websocket) keeping an environment alive, and the hard maximum.
 */
class ProxyLifetimeIT {
    private static final String PARENT = "cloche-proxy-lifetime-it";
    private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]+)\"");
    private static Path dir;
    private static ContainerBackend backend;
    private static GardenClient garden;
    private static Proxy proxy;
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void setUp() throws Exception {
        dir = Files.createTempDirectory("cloche-proxy-lifetime-it", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        Path wsecho = dir.resolve("wsecho");
        Process gcc = new ProcessBuilder("gcc", "-static", "-O2", "-o", wsecho.toString(),
                Path.of("src/test/native/wsecho.c").toAbsolutePath().toString()).inheritIO().start();
        assertThat(gcc.waitFor()).isZero();
        backend = new LinuxBackendProvider().create(Map.of("depot", dir.resolve("depot").toString(),
                "runtimeRoot", dir.resolve("runtime").toString(), "cgroupParent", PARENT,
                "defaultRootfs", System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs"),
                "initBinary", System.getProperty("cloche.init", "/var/lib/cloche/bin/cloche-init"),
                "networkPool", "10.251.8.0/22", "networkPrefix", "clpl", "portPool", "44200-44299"));
        garden = ContainerManager.start(backend, CoreConfig.DEFAULTS);
        Template base = Template.DEFAULT.withTtl(Duration.ofMinutes(10));
        List<BindMount> ws = List.of(new BindMount(wsecho.toString(), "/opt/wsecho", BindMount.Mode.RO, BindMount.Origin.HOST));
        ProxyConfig config = ProxyConfig.of(new InetSocketAddress("127.0.0.1", 0), List.of(
                base,
                // listens after 1 s, and its /ready page exists only after 5 s: the HTTP check waits for it, and the
                // test's early request (answered 503 after the 1 s startingWait) has 4 s of slack on a loaded machine
                base.withName("slow").withReadiness(new Readiness.Http(8080, "/ready")).withCommand(List.of("/bin/sh", "-c",
                        "mkdir -p /www && echo hi > /www/index.html; (sleep 5; echo ok > /www/ready) & sleep 1;"
                                + " exec httpd -f -p 8080 -h /www")),
                base.withName("never").withCommand(List.of("sleep", "1000")).withReadyTimeout(Duration.ofSeconds(2)),
                base.withName("wsidle").withPort(8081).withCommand(List.of("/opt/wsecho", "8081")).withBindMounts(ws)
                        .withLifetime(new Lifetime.Idle(Duration.ofSeconds(2), Duration.ofMinutes(5))),
                base.withName("dlidle").withLifetime(new Lifetime.Idle(Duration.ofSeconds(1), Duration.ofMinutes(5)))
                        .withCommand(List.of("/bin/sh", "-c", "mkdir -p /www && dd if=/dev/urandom of=/www/big bs=1M count=24 2>/dev/null"
                                + " && sha256sum /www/big | cut -d' ' -f1 > /www/big.sha && exec httpd -f -p 8080 -h /www")),
                base.withName("idlemax").withLifetime(new Lifetime.Idle(Duration.ofSeconds(2), Duration.ofSeconds(6)))))
                // short, so that a request to an environment still starting is seen answered 503 + Retry-After
                .withStartingWait(Duration.ofSeconds(1));
        proxy = Proxy.start(garden, config);
    }

    @AfterAll
    static void tearDown() throws Exception {
        if (proxy != null) proxy.close();
        if (garden != null) {
            for (Container c : garden.containers(Map.of())) c.destroy();
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
        HttpResponse<String> r = send("POST", "/demo/new?template=" + template);
        assertThat(r.statusCode()).as("create %s: %s", template, r.body()).isEqualTo(201);
        return id(r.body());
    }

    private static String id(String body) {
        Matcher m = ID.matcher(body);
        assertThat(m.find()).as(body).isTrue();
        return m.group(1);
    }

    /**
     * The environment's container and everything mounted for it are gone, within 10 s: its id answers 410 as soon as
     * it ends, and its container is destroyed right after.
     */
    private static void assertRemoved(String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!garden.containers(Map.of("proxy.id", id)).isEmpty()
                || Files.readString(Path.of("/proc/self/mounts")).contains("proxy-" + id)) {
            assertThat(System.nanoTime()).as("container or mounts of %s left", id).isLessThan(deadline);
            Thread.sleep(50);
        }
    }

    private static void awaitGone(String id, Duration within) throws Exception {
        long deadline = System.nanoTime() + within.toNanos();
        while (send("GET", "/demo/" + id).statusCode() != 410) {
            assertThat(System.nanoTime()).as("environment %s still alive", id).isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    @Test
    void aServerThatBecomesReadySlowlyIsNeverAnsweredBadGateway() throws Exception {
        long t0 = System.nanoTime();
        CompletableFuture<HttpResponse<String>> creating = CompletableFuture.supplyAsync(() -> {
            try {
                return send("POST", "/demo/new?template=slow");
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        // the environment is listed while it starts: its id is known before the POST answers
        String id = null;
        while (id == null) {
            assertThat(System.nanoTime() - t0).as("listed while starting").isLessThan(TimeUnit.SECONDS.toNanos(30));
            String list = send("GET", "/demo").body();
            if (list.contains("\"template\":\"slow\"")) id = id(list);
            else Thread.sleep(20);
        }
        assertThat(send("GET", "/demo/" + id).body()).contains("\"ready\":false");
        assertThat(creating).as("no answer before the readiness check passes").isNotDone();
        // requested directly while it starts: waits 1 s (the proxy's startingWait), then 503 with Retry-After
        HttpResponse<String> early = send("GET", "/demo/" + id + "/ready");
        assertThat(early.statusCode()).as(early.body()).isEqualTo(503);
        assertThat(early.headers().firstValue("retry-after")).hasValue("1");
        assertThat(early.body()).contains("is starting");
        List<Integer> seen = new ArrayList<>();
        HttpResponse<String> r;
        do {
            r = send("GET", "/demo/" + id + "/ready");
            seen.add(r.statusCode());
        } while (r.statusCode() == 503);
        assertThat(r.statusCode()).as("statuses seen: %s", seen).isEqualTo(200);
        assertThat(r.body().strip()).isEqualTo("ok");
        assertThat(seen).as("never a 502 or 404 while starting").allMatch(s -> s == 503 || s == 200);
        HttpResponse<String> made = creating.get(30, TimeUnit.SECONDS);
        assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
        assertThat(made.body()).contains("\"ready\":true");
        assertThat(send("DELETE", "/demo/" + id).statusCode()).isEqualTo(204);
    }

    @Test
    void aReadinessTimeoutRemovesTheEnvironment() throws Exception {
        HttpResponse<String> r = send("POST", "/demo/new?template=never");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(504);
        assertThat(r.body()).contains("did not pass its readiness check (TCP port 8080 accepting connections) within 2 s",
                "the environment was removed");
        Matcher m = Pattern.compile("environment ([0-9a-f]+):").matcher(r.body());
        assertThat(m.find()).isTrue();
        assertThat(send("GET", "/demo/" + m.group(1)).statusCode()).isEqualTo(410);
        assertRemoved(m.group(1));
        assertThat(garden.containers(Map.of("proxy.template", "never"))).isEmpty();
    }

    @Test
    void anActiveWebsocketOutlivesTheIdleTtlThenInactivityEndsTheEnvironment() throws Exception {
        String id = create("wsidle");
        LinkedBlockingQueue<String> echoed = new LinkedBlockingQueue<>();
        CompletableFuture<String> ended = new CompletableFuture<>();
        WebSocket ws = TestWebSockets.connect(HTTP, URI.create("ws://127.0.0.1:" + proxy.address().getPort() + "/demo/" + id + "/"),
                echoed, ended, 30);
        // 6 s of traffic on the socket, three times the idle TTL, and no other request
        for (int i = 0; i < 12; i++) {
            ws.sendText("ping " + i, true).get(10, TimeUnit.SECONDS);
            assertThat(echoed.poll(10, TimeUnit.SECONDS)).isEqualTo("ping " + i);
            Thread.sleep(500);
        }
        assertThat(ended).as("the websocket is never cut while in use").isNotDone();
        assertThat(send("GET", "/demo/" + id).statusCode()).isEqualTo(200);
        ws.sendClose(WebSocket.NORMAL_CLOSURE, "bye").get(10, TimeUnit.SECONDS);
        long closed = System.nanoTime();
        awaitGone(id, Duration.ofSeconds(15));
        assertThat(System.nanoTime() - closed).as("idle 2 s after its last use").isGreaterThan(TimeUnit.MILLISECONDS.toNanos(1500));
        assertRemoved(id);
    }

    @Test
    void aDownloadLongerThanTheIdleTtlIsNotCut() throws Exception {
        String id = create("dlidle");
        String expected = send("GET", "/demo/" + id + "/big.sha").body().strip();
        long t0 = System.nanoTime();
        HttpResponse<InputStream> big = HTTP.send(HttpRequest.newBuilder(URI.create(url("/demo/" + id + "/big"))).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        assertThat(big.statusCode()).isEqualTo(200);
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        long n = 0;
        try (InputStream in = big.body()) {
            byte[] buf = new byte[65536];
            for (int r; (r = in.read(buf)) > 0; n += r) {
                sha.update(buf, 0, r);
                Thread.sleep(10); // a slow client: 24 MiB take about 4 s, four times the idle TTL
            }
        }
        long took = System.nanoTime() - t0;
        assertThat(n).isEqualTo(24L << 20);
        assertThat(HexFormat.of().formatHex(sha.digest())).isEqualTo(expected);
        assertThat(took).as("the download outlasted the idle TTL").isGreaterThan(TimeUnit.SECONDS.toNanos(2));
        awaitGone(id, Duration.ofSeconds(15)); // then idle for 1 s: it ends
        assertRemoved(id);
    }

    @Test
    void requestsExtendTheLifeUpToTheHardMaximum() throws Exception {
        long t0 = System.nanoTime(); // before its creation: its maximum ends it at least 6 s after this
        String id = create("idlemax");
        // a request every 300 ms keeps it past its idle TTL (2 s) until its maximum (6 s from creation)
        int status;
        while ((status = send("GET", "/demo/" + id + "/").statusCode()) == 200) {
            assertThat(System.nanoTime() - t0).as("alive past its maximum").isLessThan(TimeUnit.SECONDS.toNanos(12));
            Thread.sleep(300);
        }
        long lived = System.nanoTime() - t0;
        assertThat(status).isEqualTo(410);
        assertThat(lived).as("lived past the idle TTL (2 s) while used, to its maximum (6 s)")
                .isGreaterThan(TimeUnit.MILLISECONDS.toNanos(5900));
        assertRemoved(id);
    }
}
