package dev.cloche.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.cloche.api.ConflictException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.PortLayer;
import dev.cloche.client.RemotePortLayer;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The port layer end to end: the daemon as `make run` starts it, driven over HTTP, by RemotePortLayer and the CLI. */
class PortLayerEndToEndIT {
    private static final String CGROUP_PARENT = "cloche-e2e-portlayer";
    private static DaemonProcess daemon;

    @BeforeAll
    static void startDaemon() throws IOException {
        daemon = DaemonProcess.start(CGROUP_PARENT);
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon == null) {
            return;
        }
        try (GardenClient c = daemon.unixClient()) {
            for (Container left : c.containers(Map.of())) {
                try {
                    left.destroy();
                } catch (ContainerNotFoundException gone) {
                    // gone since the listing: nothing left to clean up
                }
            }
        } finally {
            daemon.close();
        }
        assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(daemon.depot.toString());
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path ctrl : controllers.toList()) {
                assertThat(ctrl.resolve(CGROUP_PARENT)).as("cgroup %s", ctrl).doesNotExist();
            }
        }
        daemon.removeFiles();
    }

    record Output(int exit, String stdout, String stderr) {}

    private static Output cli(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(DaemonProcess.REPO.resolve("bin/cloche").toString(),
                "--socket", daemon.socket.toString()));
        cmd.addAll(List.of(args));
        java.lang.Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Output(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
    }

    @Test
    void theCliDrivesTheWholeModel() throws Exception {
        Path note = Files.createTempFile(daemon.dir, "note", ".txt");
        Files.writeString(note, "a note\n");
        Output created = cli("handle", "commit", "pl-cli", "--create", "--entry", "/bin/sh", "--memory", "64M",
                "--cpu-shares", "300", "--file", note + ":/etc/note:600", "-p", "owner=cli", "--start",
                "--", "-c", "exec sleep 1000");
        assertThat(created).isEqualTo(new Output(0, "pl-cli 2\n", ""));
        assertThat(cli("handle", "version", "pl-cli").stdout()).isEqualTo("2\n");
        assertThat(cli("handle", "config", "pl-cli").stdout()).contains("version: 2\n", "memory: 67108864\n",
                "cpu-shares: 300\n", "property: owner=cli\n", "entry: /bin/sh -c exec sleep 1000\n");
        assertThat(cli("handle", "state", "pl-cli").stdout()).startsWith("RUNNING\nmain main RUNNING");
        assertThat(cli("handle", "list", "--state", "RUNNING").stdout()).isEqualTo("pl-cli\n");
        assertThat(cli("handle", "copy-out", "pl-cli", "/etc/note").stdout()).isEqualTo("a note\n");

        Output stale = cli("handle", "commit", "pl-cli", "--if-version", "1", "-p", "x=y");
        assertThat(stale.exit()).isEqualTo(1);
        assertThat(stale.stderr()).contains("version conflict");
        assertThat(cli("handle", "commit", "pl-cli", "--if-version", "2", "--memory", "96M").stdout()).isEqualTo("pl-cli 3\n");

        String pid = cli("handle", "exec", "pl-cli", "--", "/bin/sh", "-c", "exec sleep 1000").stdout().strip();
        assertThat(pid).isNotEmpty();
        assertThat(cli("handle", "signal", pid, "--kill").exit()).isZero();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(cli("handle", "state", "pl-cli").stdout()).contains("exec " + pid + " EXITED exit=137"));
        assertThat(cli("handle", "state", "pl-cli").stdout()).startsWith("RUNNING\n");

        assertThat(cli("handle", "destroy", "pl-cli").stderr()).contains("is running");
        assertThat(cli("handle", "commit", "pl-cli", "--stop").exit()).isZero();
        assertThat(cli("handle", "state", "pl-cli").stdout()).startsWith("STOPPED\nmain main EXITED exit=143");
        assertThat(cli("handle", "destroy", "pl-cli")).isEqualTo(new Output(0, "", ""));
        assertThat(cli("handle", "config", "pl-cli").stderr()).contains("unknown handle: pl-cli");
    }

    @Test
    void httpJavaClientAndGardenShareContainersAndVersions() throws Exception {
        PortLayer pl = RemotePortLayer.tcp("127.0.0.1", daemon.port);
        try (GardenClient garden = daemon.tcpClient(); HttpClient http = HttpClient.newHttpClient()) {
            pl.commit(pl.createContainer("pl-java").withEntryPoint("/", "/bin/sh", List.of("-c", "exec sleep 1000"))
                    .withProperty("owner", "java").withRunState(PortLayer.RunState.RUNNING));
            // Garden sees the same container and its properties; a Garden change is a new version
            assertThat(garden.lookup("pl-java").property("owner")).isEqualTo("java");
            PortLayer.Handle before = pl.getHandle("pl-java").withProperty("late", "yes");
            garden.lookup("pl-java").setProperty("from", "garden");
            assertThatThrownBy(() -> pl.commit(before)).isInstanceOf(ConflictException.class);
            pl.commit(pl.getHandle("pl-java").withProperty("late", "yes"));
            assertThat(garden.lookup("pl-java").properties()).containsEntry("late", "yes").containsEntry("from", "garden");
            garden.create(ContainerSpec.withHandle("pl-from-garden"));
            assertThat(pl.containers(Optional.of(PortLayer.RunState.STOPPED))).contains("pl-from-garden");

            // the version as ETag, and If-Match on a commit, over plain HTTP
            HttpResponse<String> cfg = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + daemon.port + "/portlayer/containers/pl-java")).build(),
                    HttpResponse.BodyHandlers.ofString());
            String etag = cfg.headers().firstValue("ETag").orElseThrow();
            assertThat(etag).isEqualTo("\"" + pl.config("pl-java").version() + "\"");
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + daemon.port + "/portlayer/containers/pl-java"))
                    .header("If-Match", etag).PUT(HttpRequest.BodyPublishers.ofString("{\"memory_limit\":50000000}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(put.statusCode()).isEqualTo(200);
            HttpResponse<String> again = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + daemon.port + "/portlayer/containers/pl-java"))
                    .header("If-Match", etag).PUT(HttpRequest.BodyPublishers.ofString("{\"memory_limit\":60000000}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(again.statusCode()).isEqualTo(409);
            assertThat(garden.lookup("pl-java").currentMemoryLimits().limitInBytes()).isEqualTo(50_000_000L);

            pl.commit(pl.getHandle("pl-java").withRunState(PortLayer.RunState.STOPPED));
        }
        // versions are persisted with the core's state: a restarted daemon refuses the same stale version
        long version = pl.getHandle("pl-java").version();
        daemon = daemon.restart(CGROUP_PARENT);
        PortLayer after = RemotePortLayer.unix(daemon.socket);
        assertThat(after.getHandle("pl-java").version()).isEqualTo(version);
        assertThat(after.config("pl-java").memoryLimit()).isEqualTo(50_000_000L);
        assertThatThrownBy(() -> after.commit(PortLayer.Handle.of("pl-java", version - 1))).isInstanceOf(ConflictException.class);
        after.commit(after.getHandle("pl-java").withRunState(PortLayer.RunState.RUNNING));
        assertThat(after.state("pl-java").runState()).isEqualTo(PortLayer.RunState.RUNNING);
        after.commit(after.getHandle("pl-java").withRunState(PortLayer.RunState.STOPPED));
        after.destroyContainer("pl-java");
    }
}
