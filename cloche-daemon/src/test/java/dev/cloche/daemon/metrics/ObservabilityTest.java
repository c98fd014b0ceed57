package dev.cloche.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenException;
import dev.cloche.api.ImageRef;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.client.RemoteGardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.server.GardenServer;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.FakeImages;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The metrics part end to end, as the daemon wires it: the real core over the fake backend, the real Garden server
 * given the metered core and the request observer, a remote client, and the debug listener on loopback.
 */
class ObservabilityTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private final FakeBackend backend = new FakeBackend();
    private final Observability observability = new Observability();
    private final ContainerManager core = ContainerManager.start(backend,
            new CoreConfig(Duration.ZERO).withObserver(observability.coreObserver()));
    private GardenServer server;
    private RemoteGardenClient client;
    private int debugPort;

    @BeforeEach
    void start() {
        server = GardenServer.builder(observability.front(core)).images(observability.images(core))
                .tcp(new InetSocketAddress("127.0.0.1", 0)).requestObserver(observability.requestObserver()).start();
        client = RemoteGardenClient.tcp("127.0.0.1", server.tcpPort().orElseThrow());
        debugPort = observability.serve(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), core);
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        observability.close();
        core.close();
    }

    private HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + debugPort + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private PrometheusText.Exposition scrape() throws Exception {
        HttpResponse<String> r = get("/metrics");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue(DebugListener.PROMETHEUS_TEXT);
        return PrometheusText.parse(r.body());
    }

    @Test
    void countersMoveByTheRightAmountsAfterAKnownSequenceOfCalls() throws Exception {
        PrometheusText.Exposition before = scrape();

        for (String h : new String[] {"m-1", "m-2", "m-3"}) {
            client.create(ContainerSpec.withHandle(h));
        }
        assertThatThrownBy(() -> client.create(ContainerSpec.withHandle("m-1")))
                .isInstanceOf(AlreadyExistsException.class);
        client.destroy("m-1");
        client.lookup("m-2").destroy();
        assertThatThrownBy(() -> client.destroy("nope")).isInstanceOf(ContainerNotFoundException.class);
        Container c = client.lookup("m-3");
        try (Process p = c.run(ProcessSpec.of("echo", "hi"), ProcessIO.NONE)) {
            assertThat(p.await()).isZero();
        }
        byte[] tar = Tars.oneFile("hello.txt", "hello metrics\n");
        c.streamIn(new StreamInSpec("/data", "root", new ByteArrayInputStream(tar)));
        long out;
        try (InputStream in = c.streamOut(new StreamOutSpec("/data/hello.txt", "root"))) {
            out = in.readAllBytes().length;
        }

        PrometheusText.Exposition after = scrape();
        assertThat(delta(before, after, "cloche_container_creates_total")).isEqualTo(3);
        assertThat(delta(before, after, "cloche_failures_total", "op", "create", "kind", "already_exists")).isEqualTo(1);
        assertThat(delta(before, after, "cloche_container_destroys_total")).isEqualTo(2);
        assertThat(delta(before, after, "cloche_failures_total", "op", "destroy", "kind", "container_not_found"))
                .isEqualTo(1);
        assertThat(delta(before, after, "cloche_process_starts_total")).isEqualTo(1);
        assertThat(delta(before, after, "cloche_stream_in_bytes_total")).isEqualTo(tar.length);
        assertThat(out).isPositive();
        assertThat(delta(before, after, "cloche_stream_out_bytes_total")).isEqualTo(out);

        // the server's view: per route and status
        assertThat(after.value("cloche_requests_seconds_count", "route", "CREATE", "status", "200")).isEqualTo(3);
        assertThat(after.value("cloche_requests_seconds_count", "route", "CREATE", "status", "409")).isEqualTo(1);
        assertThat(after.value("cloche_requests_seconds_count", "route", "DESTROY", "status", "200")).isEqualTo(2);
        assertThat(after.value("cloche_requests_seconds_count", "route", "DESTROY", "status", "404")).isEqualTo(1);
        assertThat(after.value("cloche_requests_seconds_count", "route", "RUN", "status", "201")).isEqualTo(1);
        Map<Double, Double> buckets = PrometheusText.buckets(after, "cloche_requests_seconds",
                Map.of("route", "CREATE", "status", "200"));
        assertThat(buckets).containsEntry(Double.POSITIVE_INFINITY, 3.0).containsKey(0.001).containsKey(30.0);
        assertThat(new java.util.ArrayList<>(buckets.values())).isSorted();

        // gauges over the core: one container left, active, with the one process it ran
        assertThat(after.value("cloche_containers", "state", "active")).isEqualTo(1);
        assertThat(after.value("cloche_containers", "state", "stopped")).isZero();
        assertThat(after.value("cloche_processes")).isEqualTo(1);

        // the JVM's binders
        assertThat(after.types()).containsKeys("jvm_memory_used_bytes", "jvm_threads_live_threads",
                "process_files_open_files", "jvm_gc_memory_allocated_bytes_total");
    }

    @Test
    void theReaperIsCounted() throws Exception {
        double before = scrape().valueOrZero("cloche_reaper_reaped_total");
        client.create(ContainerSpec.withHandle("short-lived").withGraceTime(Duration.ofMillis(200)));
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (scrape().valueOrZero("cloche_reaper_reaped_total") < before + 1 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        PrometheusText.Exposition after = scrape();
        assertThat(after.value("cloche_reaper_reaped_total")).isEqualTo(before + 1);
        assertThat(after.value("cloche_reaper_failures_total")).isZero();
        // the reaper's destroy is the core's own: it is not a call's destroy
        assertThat(after.value("cloche_container_destroys_total")).isZero();
        assertThat(backend.liveHandles()).doesNotContain("short-lived");
    }

    @Test
    void imagePullsCountBytesTimeAndCacheHits() throws Exception {
        PrometheusText.Exposition before = scrape();
        client.pullImage(ImageRef.of(FakeImages.BUSYBOX), p -> { }); // two layers downloaded
        client.pullImage(ImageRef.of(FakeImages.APP), p -> { });     // shares busybox' base: one hit, one download
        assertThatThrownBy(() -> client.pullImage(ImageRef.of(FakeImages.BROKEN), p -> { }))
                .isInstanceOf(GardenException.class);               // first layer downloaded, then the registry fails

        PrometheusText.Exposition after = scrape();
        assertThat(delta(before, after, "cloche_image_pulls_total", "outcome", "ok")).isEqualTo(2);
        assertThat(delta(before, after, "cloche_image_pulls_total", "outcome", "service_unavailable")).isEqualTo(1);
        assertThat(delta(before, after, "cloche_image_pull_layers_total", "cached", "true")).isEqualTo(1);
        assertThat(delta(before, after, "cloche_image_pull_layers_total", "cached", "false")).isEqualTo(4);
        assertThat(delta(before, after, "cloche_image_pull_downloaded_bytes_total"))
                .isEqualTo((1 << 20) + (512 << 10) + (256 << 10) + (64 << 10));
        assertThat(delta(before, after, "cloche_image_pull_duration_seconds_count")).isEqualTo(3);
    }

    @Test
    void debugVarsHasTheExpvarShape() throws Exception {
        client.create(ContainerSpec.withHandle("v-1"));
        HttpResponse<String> r = get("/debug/vars");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        JsonNode vars = JsonMapper.builder().build().readTree(r.body());
        assertThat(vars.get("cmdline").isArray()).isTrue();
        assertThat(vars.get("cmdline").size()).isPositive();
        vars.get("cmdline").forEach(a -> assertThat(a.isString()).isTrue());
        JsonNode mem = vars.get("memstats");
        for (String field : new String[] {"Alloc", "TotalAlloc", "Sys", "HeapAlloc", "HeapSys", "NumGC", "PauseTotalNs"}) {
            assertThat(mem.get(field)).as(field).isNotNull();
            assertThat(mem.get(field).isIntegralNumber()).as(field).isTrue();
            assertThat(mem.get(field).asLong()).as(field).isNotNegative();
        }
        assertThat(mem.get("Sys").asLong()).isGreaterThanOrEqualTo(mem.get("HeapAlloc").asLong());
        assertThat(vars.get("numGoroutines").asInt()).isPositive();
        assertThat(vars.get("numGoRoutines").asInt()).isPositive();
        assertThat(vars.get("numCPUS").asInt()).isEqualTo(Runtime.getRuntime().availableProcessors());
        assertThat(vars.get("depotDirs").asInt()).isEqualTo(1);

        // TotalAlloc counts allocations, not what is live: it grows by at least what this thread allocates
        long total = mem.get("TotalAlloc").asLong();
        byte[][] garbage = new byte[64][];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = new byte[256 << 10];
        }
        assertThat(garbage[63]).hasSize(256 << 10);
        JsonNode later = JsonMapper.builder().build().readTree(get("/debug/vars").body()).get("memstats");
        assertThat(later.get("TotalAlloc").asLong()).isGreaterThanOrEqualTo(total + (16L << 20));
    }

    @Test
    void healthzIsOkWhenTheBackendAnswersAndOnlyGetIsServed() throws Exception {
        HttpResponse<String> r = get("/healthz");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).isEqualTo("ok\n");
        assertThat(get("/nothing").statusCode()).isEqualTo(404);
        HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + debugPort
                + "/metrics")).POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(post.statusCode()).isEqualTo(405);
        HttpResponse<String> head = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + debugPort
                + "/metrics")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
        // the connection is still good for the next request (keep-alive after HEAD and after an error)
        assertThat(get("/healthz").body()).isEqualTo("ok\n");
    }

    private static double delta(PrometheusText.Exposition before, PrometheusText.Exposition after, String name,
                                String... labels) {
        return after.value(name, labels) - before.valueOrZero(name, labels);
    }
}
