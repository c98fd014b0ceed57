package dev.cloche.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.client.RemoteGardenClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's wiring of the metrics part: what --debug-listen turns on, and that without it nothing listens. */
class DaemonObservabilityTest {
    @TempDir
    Path depot;

    private DaemonConfig config(Optional<String> debug) {
        return new DaemonConfig(Optional.of("127.0.0.1:0"), Optional.empty(), "fake", Map.of("depot", depot.toString()),
                Duration.ZERO, Optional.empty(), Optional.empty(), AccessConfig.DEFAULTS, AuditSettings.DEFAULT, debug);
    }

    private static String get(int port, String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + port + path)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(path).isEqualTo(200);
        return r.body();
    }

    @Test
    void debugListenServesTheMeteredCoreAndTheServersRequests() throws Exception {
        try (Daemon d = Daemon.start(config(Optional.of("127.0.0.1:0")));
             RemoteGardenClient client = RemoteGardenClient.tcp("127.0.0.1", d.server().tcpPort().orElseThrow())) {
            int port = d.debugPort().orElseThrow();
            client.create(ContainerSpec.withHandle("d-1"));
            assertThatThrownBy(() -> client.create(ContainerSpec.withHandle("d-1"))).isInstanceOf(AlreadyExistsException.class);
            client.create(ContainerSpec.withHandle("d-2").withGraceTime(Duration.ofMillis(100)));

            assertThat(get(port, "/healthz")).isEqualTo("ok\n");
            assertThat(get(port, "/debug/vars")).contains("\"memstats\"", "\"numGoroutines\"");
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            String metrics = get(port, "/metrics");
            while (!metrics.contains("cloche_reaper_reaped_total 1.0") && System.nanoTime() < deadline) {
                Thread.sleep(50);
                metrics = get(port, "/metrics");
            }
            assertThat(metrics).contains("cloche_container_creates_total 2.0",
                    "cloche_failures_total{kind=\"already_exists\",op=\"create\"} 1.0",
                    "cloche_requests_seconds_count{route=\"CREATE\",status=\"409\"} 1",
                    "cloche_reaper_reaped_total 1.0", "cloche_containers{state=\"active\"} 1.0");
        }
    }

    @Test
    void aDebugPortInUseRefusesToStartInOneLineAndLeavesNothingListening() throws Exception {
        try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            assertThatThrownBy(() -> Daemon.start(config(Optional.of("127.0.0.1:" + taken.getLocalPort()))))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("--debug-listen: cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
        // the Garden listener it had opened is closed again: a daemon on a fixed port starts afterwards
        try (java.net.ServerSocket probe = new java.net.ServerSocket(0)) {
            int port = probe.getLocalPort();
            probe.close();
            try (Daemon d = Daemon.start(new DaemonConfig(Optional.of("127.0.0.1:" + port), Optional.empty(), "fake",
                    Map.of("depot", depot.toString()), Duration.ZERO, Optional.empty(), Optional.empty(),
                    AccessConfig.DEFAULTS, AuditSettings.DEFAULT, Optional.of("127.0.0.1:0")))) {
                assertThat(d.server().tcpPort()).hasValue(port);
            }
        }
    }

    @Test
    void withoutDebugListenThereIsNoListener() {
        try (Daemon d = Daemon.start(config(Optional.empty()))) {
            assertThat(d.debugPort()).isEmpty();
        }
    }
}
