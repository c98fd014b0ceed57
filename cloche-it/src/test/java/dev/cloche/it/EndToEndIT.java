package dev.cloche.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The daemon as `make run` starts it, driven by RemoteGardenClient (TCP and unix socket) and by the CLI. */
class EndToEndIT {
    private static final String CGROUP_PARENT = "cloche-e2e";
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
        assertNothingLeftBehind();
        daemon.removeFiles();
    }

    record Output(int exit, String stdout, String stderr) {}

    static Output run(Container c, String path, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = c.run(ProcessSpec.of(path, args), ProcessIO.output(out, err)).await();
        return new Output(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void createRunEchoAndDestroyOverTcp() {
        try (GardenClient client = daemon.tcpClient()) {
            Container c = client.create(ContainerSpec.withHandle("e2e-tcp").withProperties(Map.of("suite", "e2e")));
            assertThat(run(c, "echo", "hello", "world")).isEqualTo(new Output(0, "hello world\n", ""));
            assertThat(run(c, "sh", "-c", "echo out; echo err >&2; exit 7")).isEqualTo(new Output(7, "out\n", "err\n"));
            assertThat(run(c, "hostname").stdout()).isEqualTo("e2e-tcp\n");
            assertThat(client.containers(Map.of("suite", "e2e")).stream().map(Container::handle)).contains("e2e-tcp");
            client.destroy("e2e-tcp");
            assertThatThrownBy(() -> client.lookup("e2e-tcp")).isInstanceOf(ContainerNotFoundException.class);
            assertThatThrownBy(() -> client.destroy("e2e-tcp")).isInstanceOfSatisfying(ContainerNotFoundException.class,
                    e -> assertThat(e.handle()).isEqualTo("e2e-tcp"));
        }
    }

    /** Garden clients run {@code id -u alice || adduser -D alice} in every container, then processes as that user. */
    @Test
    void theDefaultRootfsAddsUsersAndRunsProcessesAsThemByName() {
        try (GardenClient client = daemon.unixClient()) {
            Container c = client.create(ContainerSpec.withHandle("e2e-users"));
            try {
                Output list = run(c, "busybox", "--list");
                assertThat(list.exit()).isZero();
                assertThat(list.stdout().lines()).contains("adduser", "addgroup", "deluser", "passwd", "su", "nc", "ping", "stty",
                        "ps", "hostname", "id", "whoami");
                assertThat(run(c, "id", "-u", "alice").exit()).isNotZero();
                assertThat(run(c, "adduser", "-D", "alice")).isEqualTo(new Output(0, "", ""));
                assertThat(run(c, "id", "-u", "alice").exit()).isZero();

                assertThat(runAs(c, "alice", "whoami")).isEqualTo(new Output(0, "alice\n", ""));
                Output uid = runAs(c, "alice", "id", "-u");
                assertThat(uid.exit()).isZero();
                assertThat(Long.parseLong(uid.stdout().strip())).isPositive();
                assertThat(runAs(c, "alice", "sh", "-c", "cd && pwd && touch mine && ls -n mine | awk '{print $3}'"))
                        .isEqualTo(new Output(0, "/home/alice\n" + uid.stdout(), ""));

                assertThat(run(c, "su", "alice", "-c", "whoami")).isEqualTo(new Output(0, "alice\n", ""));
                assertThat(run(c, "sh", "-c", "addgroup crew && addgroup alice crew").exit()).isZero();
                assertThat(run(c, "su", "alice", "-c", "id -Gn").stdout().split("\\s+")).contains("alice", "crew");
                assertThat(run(c, "passwd", "-d", "alice").exit()).isZero();
                assertThat(run(c, "sh", "-c", "deluser alice && ! id -u alice").exit()).isZero();
            } finally {
                c.destroy();
            }
        }
    }

    static Output runAs(Container c, String user, String path, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = c.run(ProcessSpec.of(path, args).withUser(user), ProcessIO.output(out, err)).await();
        return new Output(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void netInOverTheWireReachesHttpdInTheContainerWithARealHttpClient() throws Exception {
        try (GardenClient client = daemon.tcpClient()) {
            Container c = client.create(ContainerSpec.withHandle("e2e-netin"));
            try {
                assertThat(run(c, "sh", "-c", "mkdir -p /www && echo e2e-web > /www/index.html && httpd -p 8080 -h /www").exit()).isZero();
                dev.cloche.api.PortMapping m = c.netIn(0, 8080);
                assertThat(m.hostPort()).isBetween(42000, 42099);
                assertThat(m.containerPort()).isEqualTo(8080);
                dev.cloche.api.ContainerInfo info = c.info();
                assertThat(info.mappedPorts()).containsExactly(m);
                assertThat(info.containerIp()).startsWith("10.253.16.");
                assertThat(info.properties()).containsEntry("garden.network.container-ip", info.containerIp())
                        .containsEntry("garden.network.external-ip", info.externalIp())
                        .containsEntry("garden.network.mapped-ports", "[{\"HostPort\":" + m.hostPort() + ",\"ContainerPort\":8080}]");
                java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder().connectTimeout(java.time.Duration.ofSeconds(5)).build();
                for (String host : List.of("127.0.0.1", info.externalIp())) {
                    var r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://" + host + ":" + m.hostPort() + "/index.html"))
                            .timeout(java.time.Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
                    assertThat(r.statusCode()).isEqualTo(200);
                    assertThat(r.body()).isEqualTo("e2e-web\n");
                }
                c.bulkNetOut(List.of(new dev.cloche.api.NetOutRule(dev.cloche.api.NetOutRule.Protocol.TCP,
                        List.of(new dev.cloche.api.NetOutRule.IpRange(info.hostIp(), info.hostIp())),
                        List.of(new dev.cloche.api.NetOutRule.PortRange(1, 65535)), java.util.Optional.empty(), false)));
                assertThat(c.metrics().network()).hasValueSatisfying(n -> assertThat(n.txBytes()).isPositive());
                assertThat(c.currentBandwidthLimits()).isEqualTo(dev.cloche.api.BandwidthLimits.NONE);
            } finally {
                c.destroy();
            }
        }
    }

    @Test
    void aFastExitingProcessNeverLosesItsOutput() {
        try (GardenClient client = daemon.unixClient()) {
            Container c = client.create(ContainerSpec.withHandle("e2e-fast"));
            try {
                for (int i = 0; i < 100; i++) {
                    Output o = run(c, "echo", "line-" + i);
                    assertThat(o).as("run %d", i).isEqualTo(new Output(0, "line-" + i + "\n", ""));
                }
            } finally {
                c.destroy();
            }
        }
    }

    @Test
    void aRestartedDaemonFindsContainersWithTheirProperties() throws Exception {
        try (GardenClient client = daemon.unixClient()) {
            Container c = client.create(ContainerSpec.withHandle("e2e-restart").withProperties(Map.of("keep", "me")));
            c.setProperty("added", "later");
        }
        daemon = daemon.restart(CGROUP_PARENT);
        try (GardenClient client = daemon.tcpClient()) {
            Container c = client.lookup("e2e-restart");
            assertThat(c.properties()).containsEntry("keep", "me").containsEntry("added", "later");
            assertThat(run(c, "echo", "after restart")).isEqualTo(new Output(0, "after restart\n", ""));
            c.destroy();
        }
    }

    @Test
    void processesOutliveADaemonKilledWithSigkill() throws Exception {
        ByteArrayOutputStream early = new ByteArrayOutputStream();
        try (GardenClient client = daemon.unixClient()) {
            Container c = client.create(ContainerSpec.withHandle("e2e-outlive"));
            assertThat(c.run(ProcessSpec.of("echo", "finished before the crash").withId("quick"),
                    ProcessIO.output(new ByteArrayOutputStream(), new ByteArrayOutputStream())).await()).isZero();
            String quick = "quick";
            c.run(ProcessSpec.of("sh", "-c", "sleep 0.3; echo exited while down; exit 5").withId("while-down"),
                    ProcessIO.output(new ByteArrayOutputStream(), new ByteArrayOutputStream()));
            c.run(ProcessSpec.of("sh", "-c", "i=0; while [ $i -lt 30 ]; do echo tick $i; i=$((i+1)); sleep 0.1; done; exit 42")
                    .withId("ticker"), ProcessIO.output(early, new ByteArrayOutputStream()));
            awaitContains(early, "tick 2\n");
            daemon = daemon.killAndRestart(CGROUP_PARENT);
            try (GardenClient again = daemon.tcpClient()) {
                Container r = again.lookup("e2e-outlive");
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                assertThat(r.attach("ticker", ProcessIO.output(out, new ByteArrayOutputStream())).await()).isEqualTo(42);
                StringBuilder all = new StringBuilder();
                for (int i = 0; i < 30; i++) all.append("tick ").append(i).append('\n');
                assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(all.toString());

                ByteArrayOutputStream down = new ByteArrayOutputStream();
                assertThat(r.attach("while-down", ProcessIO.output(down, new ByteArrayOutputStream())).await()).isEqualTo(5);
                assertThat(down.toString(StandardCharsets.UTF_8)).isEqualTo("exited while down\n");
                ByteArrayOutputStream before = new ByteArrayOutputStream();
                assertThat(r.attach(quick, ProcessIO.output(before, new ByteArrayOutputStream())).await()).isZero();
                assertThat(before.toString(StandardCharsets.UTF_8)).isEqualTo("finished before the crash\n");
                r.destroy();
            }
        }
        assertThat(liveProcessesMentioning(daemon.depot.resolve("containers").toString())).as("monitors left").isEmpty();
    }

    private static void awaitContains(ByteArrayOutputStream out, String text) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!out.toString(StandardCharsets.UTF_8).contains(text)) {
            assertThat(System.nanoTime()).as("waiting for %s in %s", text, out).isLessThan(deadline);
            Thread.sleep(20);
        }
    }

    /** Live (not zombie) host processes whose command line mentions {@code text}: monitors name their directory. */
    private static List<String> liveProcessesMentioning(String text) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(d -> d.getFileName().toString().matches("\\d+")).toList()) {
                try {
                    String cmd = Files.readString(p.resolve("cmdline"), StandardCharsets.ISO_8859_1).replace('\0', ' ');
                    String stat = Files.readString(p.resolve("stat"));
                    boolean zombie = stat.charAt(stat.lastIndexOf(')') + 2) == 'Z';
                    if (!zombie && cmd.contains(text)) found.add(p.getFileName() + ": " + cmd);
                } catch (IOException e) {
                    // exited while we looked
                }
            }
        }
        return found;
    }

    @Test
    void theDaemonServesEphemeralEnvironmentsAndTheCliDrivesThem() throws Exception {
        Output made = cli("proxy", "--proxy", daemon.proxyUrl(), "new");
        assertThat(made.exit()).as(made.stderr()).isZero();
        String id = made.stdout().strip().split("\\s+")[0];
        String url = made.stdout().strip().split("\\s+")[3];
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpResponse<String> page = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Hello from a Cloche environment");
        assertThat(cli("proxy", "--proxy", daemon.proxyUrl(), "list").stdout()).contains(id);
        try (GardenClient client = daemon.unixClient()) {
            assertThat(client.containers(Map.of("proxy.id", id))).hasSize(1); // a Garden container like any other
        }
        assertThat(cli("proxy", "--proxy", daemon.proxyUrl(), "end", id).exit()).isZero();
        assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(410);
        Output unknown = cli("proxy", "--proxy", daemon.proxyUrl(), "new", "--template", "nope");
        assertThat(unknown.exit()).isEqualTo(1);
        assertThat(unknown.stderr()).contains("404", "unknown template: nope");
    }

    @Test
    void theCliDrivesTheDaemon() throws Exception {
        assertThat(cli("ping")).isEqualTo(new Output(0, "ok\n", ""));
        Output created = cli("create", "--handle", "e2e-cli", "-p", "owner=cli", "--memory", "64M", "--disk", "20M");
        assertThat(created).isEqualTo(new Output(0, "e2e-cli\n", ""));
        assertThat(cli("list", "-p", "owner=cli").stdout()).isEqualTo("e2e-cli\n");
        assertThat(cli("run", "e2e-cli", "--", "echo", "hi from cli")).isEqualTo(new Output(0, "hi from cli\n", ""));
        assertThat(cli("run", "e2e-cli", "--", "sh", "-c", "echo oops >&2; exit 3")).isEqualTo(new Output(3, "", "oops\n"));
        assertThat(cli("run", "e2e-cli", "--", "/no/such/binary").exit()).isEqualTo(125);
        assertThat(cli("properties", "e2e-cli", "--set", "color=blue").exit()).isZero();
        assertThat(cli("properties", "e2e-cli", "--get", "color").stdout()).isEqualTo("blue\n");
        assertThat(cli("info", "e2e-cli").stdout()).contains("state:").contains("active").contains("property owner:");
        Output full = cli("run", "e2e-cli", "--", "dd", "if=/dev/zero", "of=/root/big", "bs=1M", "count=30");
        assertThat(full.exit()).isNotZero();
        assertThat(full.stderr()).contains("No space left on device");
        assertThat(cli("metrics", "e2e-cli").stdout()).contains("of 64.0 MiB").containsPattern("disk: +(19|20)\\.\\d MiB written");
        assertThat(cli("destroy", "e2e-cli")).isEqualTo(new Output(0, "", ""));
        Output again = cli("destroy", "e2e-cli");
        assertThat(again.exit()).isEqualTo(1);
        assertThat(again.stderr()).contains("unknown handle: e2e-cli");
    }

    @Test
    void theCliAttachesToARunningProcessAndStopsTheContainer() throws Exception {
        try (GardenClient client = daemon.unixClient()) {
            Container c = client.create(ContainerSpec.withHandle("e2e-attach"));
            dev.cloche.api.Process p = c.run(ProcessSpec.of("sh", "-c", "echo started; sleep 1000").withId("sleeper"),
                    dev.cloche.api.ProcessIO.NONE);
            java.util.concurrent.CompletableFuture<Output> attached = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return cli("attach", "e2e-attach", "sleeper");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            // Whether the CLI attaches before or after the stop, it gets the output from the first byte and the
            // exit status: an exited process stays attachable until its container goes.
            assertThat(cli("stop", "--kill", "e2e-attach").exit()).isZero();
            assertThat(attached.get(60, TimeUnit.SECONDS)).isEqualTo(new Output(137, "started\n", ""));
            assertThat(p.onExit().get(30, TimeUnit.SECONDS)).isEqualTo(137);
            assertThat(c.info().state()).isEqualTo("stopped");
            assertThat(cli("attach", "e2e-attach", "nope").stderr()).contains("unknown process: nope");
            c.destroy();
        }
    }

    @Test
    void ttyProcessesOverTheWireGetATerminalAndItsResizes() throws Exception {
        try (GardenClient client = daemon.tcpClient()) {
            Container c = client.create(ContainerSpec.withHandle("e2e-tty"));
            try {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                ByteArrayOutputStream err = new ByteArrayOutputStream();
                ProcessSpec defaults = ProcessSpec.of("sh", "-c", "stty size; echo to-stderr >&2")
                        .withTty(java.util.Optional.of(dev.cloche.api.TtySpec.DEFAULT));
                assertThat(c.run(defaults, dev.cloche.api.ProcessIO.output(out, err)).await()).isZero();
                assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("24 80\r\nto-stderr\r\n");
                assertThat(err.size()).isZero();

                java.io.PipedOutputStream typing = new java.io.PipedOutputStream();
                java.io.PipedInputStream stdin = new java.io.PipedInputStream(typing);
                ByteArrayOutputStream resized = new ByteArrayOutputStream();
                // runc relays a resize to the container's terminal asynchronously: the shell polls (bounded) for it
                ProcessSpec waits = ProcessSpec.of("sh", "-c",
                        "read line; for i in $(seq 100); do s=$(stty size); [ \"$s\" = \"40 120\" ] && break; sleep 0.1; done; echo \"$s\"")
                        .withTty(java.util.Optional.of(dev.cloche.api.TtySpec.of(100, 30)));
                dev.cloche.api.Process p = c.run(waits, dev.cloche.api.ProcessIO.output(resized, err).withStdin(stdin));
                p.setTty(dev.cloche.api.TtySpec.of(120, 40));
                typing.write("go\n".getBytes(StandardCharsets.UTF_8));
                typing.flush();
                assertThat(p.await()).isZero();
                assertThat(resized.toString(StandardCharsets.UTF_8)).endsWith("40 120\r\n");
                typing.close();
            } finally {
                c.destroy();
            }
        }
    }

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

    /** After every container is destroyed and the daemon stopped: no mount, cgroup or runtime state of ours is left. */
    private static void assertNothingLeftBehind() throws IOException {
        String mounts = Files.readString(Path.of("/proc/self/mounts"));
        assertThat(mounts).doesNotContain(daemon.depot.toString());
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path ctrl : controllers.toList()) {
                assertThat(ctrl.resolve(CGROUP_PARENT)).as("cgroup %s", ctrl).doesNotExist();
            }
        }
        // networking (prefix clee, see DaemonProcess): no interface, and with no container left no nftables table
        for (Path link : Files.list(Path.of("/sys/class/net")).toList()) {
            assertThat(link.getFileName().toString()).doesNotStartWith("clee");
        }
        java.lang.Process nft = new ProcessBuilder("nft", "list", "tables").redirectErrorStream(true).start();
        assertThat(new String(nft.getInputStream().readAllBytes(), StandardCharsets.UTF_8)).doesNotContain("cloche-clee");
        Path containers = daemon.depot.resolve("containers");
        if (Files.exists(containers)) {
            try (Stream<Path> left = Files.list(containers)) {
                assertThat(left.toList()).isEmpty();
            }
        }
    }
}
