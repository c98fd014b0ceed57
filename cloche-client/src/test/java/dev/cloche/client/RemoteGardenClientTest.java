package dev.cloche.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.server.GardenServer;
import dev.cloche.testkit.FakeBackend;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** RemoteGardenClient against the real GardenServer in front of the real core over the fake backend. */
@Timeout(30)
class RemoteGardenClientTest {
    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private GardenServer server;
    private GardenClient client;

    @BeforeEach
    void start() {
        server = GardenServer.start(core, Optional.of(new InetSocketAddress("127.0.0.1", 0)), Optional.empty());
        client = RemoteGardenClient.tcp("127.0.0.1", server.tcpPort().orElseThrow());
    }

    @AfterEach
    void stop() {
        client.close();
        server.close();
        core.close();
    }

    private static ContainerSpec spec(String handle, Map<String, String> props) {
        ContainerSpec s = ContainerSpec.withHandle(handle);
        return new ContainerSpec(s.handle(), s.graceTime(), s.rootfs(), s.image(), s.bindMounts(), s.network(), props,
                s.env(), s.privileged(), s.limits(), s.netOut(), s.netIn());
    }

    @Test
    void containerLifecycleAndProperties() {
        client.ping();
        assertThat(client.capacity().maxContainers()).isEqualTo(256);
        Container c = client.create(spec("life", Map.of("owner", "me")));
        client.create(spec("other", Map.of("owner", "you")));
        assertThat(c.handle()).isEqualTo("life");
        assertThat(client.containers(Map.of("owner", "me"))).extracting(Container::handle).containsExactly("life");
        assertThat(client.containers(Map.of())).extracting(Container::handle).containsExactlyInAnyOrder("life", "other");
        assertThat(client.lookup("life").info().state()).isEqualTo("active");
        c.setProperty("a b", "v<&>");
        assertThat(c.property("a b")).isEqualTo("v<&>");
        assertThat(c.properties()).containsEntry("owner", "me").containsEntry("a b", "v<&>");
        c.removeProperty("a b");
        assertThatThrownBy(() -> c.property("a b")).isInstanceOf(GardenError.class)
                .hasMessage("property does not exist: a b");
        c.setGraceTime(Duration.ofSeconds(90));
        assertThat(c.netIn(0, 8080)).extracting(p -> p.hostPort(), p -> p.containerPort()).containsExactly(61001, 8080);
        backend.container("life").reportMetrics(new ContainerMetrics(ContainerMetrics.MemoryStat.EMPTY,
                ContainerMetrics.CpuStat.EMPTY, ContainerMetrics.DiskStat.EMPTY, Optional.empty(),
                ContainerMetrics.PidStat.EMPTY, Duration.ofSeconds(5), 0));
        assertThat(c.metrics().age()).isEqualTo(Duration.ofSeconds(5));
        Map<String, ContainerInfoEntry> bulk = client.bulkInfo(List.of("life", "missing"));
        assertThat(bulk.get("life").info()).isPresent();
        assertThat(bulk.get("missing").error()).isPresent();
        assertThat(client.bulkMetrics(List.of("life")).get("life").metrics()).isPresent();
        c.stop(true);
        assertThat(c.info().state()).isEqualTo("stopped");
        c.destroy();
        assertThatThrownBy(c::destroy).isInstanceOfSatisfying(ContainerNotFoundException.class,
                e -> assertThat(e.handle()).isEqualTo("life"));
        assertThat(client.containers(Map.of())).extracting(Container::handle).containsExactly("other");
    }

    @Test
    void errorsAreRebuiltWithTheirTypes() {
        client.create(spec("dup", Map.of()));
        assertThatThrownBy(() -> client.create(spec("dup", Map.of()))).isInstanceOf(AlreadyExistsException.class)
                .hasMessage("Handle 'dup' already in use");
        assertThatThrownBy(() -> client.destroy("nope")).isInstanceOfSatisfying(ContainerNotFoundException.class,
                e -> assertThat(e.handle()).isEqualTo("nope"));
        assertThatThrownBy(() -> client.lookup("nope")).isInstanceOfSatisfying(ContainerNotFoundException.class,
                e -> assertThat(e.handle()).isEqualTo("nope"));
        Container dup = client.lookup("dup");
        assertThatThrownBy(() -> dup.attach("ghost", ProcessIO.NONE)).isInstanceOfSatisfying(ProcessNotFoundException.class,
                e -> assertThat(e.processId()).isEqualTo("ghost"));
        assertThatThrownBy(() -> dup.run(ProcessSpec.of("/no/such/missing-bin"), ProcessIO.NONE))
                .isInstanceOf(ExecutableNotFoundException.class);
    }

    @Test
    void runDeliversStdinStdoutStderrAndExitStatus() {
        Container c = client.create(spec("run", Map.of()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        InputStream in = new ByteArrayInputStream("in<put>&\u0001\n".getBytes(StandardCharsets.UTF_8));
        Process p = c.run(ProcessSpec.of("sh", "-c", "cat; echo err >&2; exit 3").withId("p1"), ProcessIO.of(in, out, err));
        assertThat(p.id()).isEqualTo("p1");
        assertThat(p.await()).isEqualTo(3);
        assertThat(p.await()).isEqualTo(3); // cached
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("in<put>&\u0001\n");
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("err\n");
        p.close();
    }

    @Test
    void fastExitingProcessesNeverLoseOutput() {
        Container c = client.create(spec("fast", Map.of()));
        for (int i = 0; i < 100; i++) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Process p = c.run(ProcessSpec.of("echo", "line", Integer.toString(i)), ProcessIO.output(out, err));
            assertThat(p.await()).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("line " + i + "\n");
            p.close();
        }
    }

    @Test
    void secondClientAttachesAndBothSeeTheExitStatus() throws Exception {
        Container c = client.create(spec("att", Map.of()));
        Process runner = c.run(ProcessSpec.of("sleep").withId("sleeper"), ProcessIO.NONE);
        try (GardenClient second = RemoteGardenClient.tcp("127.0.0.1", server.tcpPort().orElseThrow())) {
            Process attached = second.lookup("att").attach("sleeper", ProcessIO.output(OutputStream.nullOutputStream(),
                    OutputStream.nullOutputStream()));
            assertThat(attached.id()).isEqualTo("sleeper");
            attached.signal(Signal.TERMINATE);
            assertThat(attached.await()).isEqualTo(143);
            assertThat(runner.onExit().get(10, TimeUnit.SECONDS)).isEqualTo(143);
            attached.close();
        }
        runner.close();
    }

    @Test
    void detachLeavesTheProcessRunning() {
        Container c = client.create(spec("det", Map.of()));
        Process p = c.run(ProcessSpec.of("sleep").withId("s1"), ProcessIO.NONE);
        p.close();
        p.close();
        Process again = c.attach("s1", ProcessIO.NONE);
        again.signal(Signal.KILL);
        assertThat(again.await()).isEqualTo(137);
    }

    @Test
    void streamInAndOutRoundTripSeveralMebibytes() throws Exception {
        Container c = client.create(spec("files", Map.of()));
        byte[] tar = new byte[5 * 1024 * 1024 + 123];
        new Random(42).nextBytes(tar);
        c.streamIn(new StreamInSpec("/data", "", new ByteArrayInputStream(tar)));
        try (InputStream back = c.streamOut(new StreamOutSpec("/data", "alice"))) {
            assertThat(back.readAllBytes()).isEqualTo(tar);
        }
        assertThatThrownBy(() -> c.streamOut(new StreamOutSpec("/none", ""))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("/none does not exist");
    }

    @Test
    void malformedRequestIs400AndTheServerStillAnswersPing() throws Exception {
        try (Socket s = new Socket("127.0.0.1", server.tcpPort().orElseThrow())) {
            s.getOutputStream().write(("POST /containers HTTP/1.1\r\nHost: api\r\nConnection: close\r\n"
                    + "Content-Length: 5\r\n\r\n{bad!").getBytes(StandardCharsets.US_ASCII));
            String answer = new String(s.getInputStream().readAllBytes(), StandardCharsets.US_ASCII);
            assertThat(answer).startsWith("HTTP/1.1 400 ");
        }
        client.ping();
    }

    @Test
    void worksOverAUnixSocket(@TempDir Path dir) {
        Path sock = dir.resolve("garden.sock");
        try (GardenServer unixServer = GardenServer.unix(core, sock);
             GardenClient unixClient = RemoteGardenClient.unix(sock)) {
            Container c = unixClient.create(spec("uds", Map.of()));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Process p = c.run(ProcessSpec.of("echo", "over", "uds"), ProcessIO.output(out, OutputStream.nullOutputStream()));
            assertThat(p.await()).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("over uds\n");
            c.destroy();
            assertThatThrownBy(() -> unixClient.lookup("uds")).isInstanceOf(ContainerNotFoundException.class);
        }
    }

    @Test
    void limitsAndNetOutTravel() {
        ContainerSpec base = spec("lim", Map.of());
        ContainerSpec s = new ContainerSpec(base.handle(), base.graceTime(), base.rootfs(), base.image(), base.bindMounts(),
                base.network(), base.properties(), base.env(), base.privileged(),
                base.limits().withMemory(new dev.cloche.api.MemoryLimits(64L << 20)), base.netOut(), base.netIn());
        Container c = client.create(s);
        assertThat(c.currentMemoryLimits().limitInBytes()).isEqualTo(64L << 20);
        assertThat(c.currentDiskLimits()).isEqualTo(dev.cloche.api.DiskLimits.NONE);
        assertThat(c.currentCpuLimits()).isEqualTo(dev.cloche.api.CpuLimits.NONE);
        assertThat(c.currentBandwidthLimits()).isEqualTo(dev.cloche.api.BandwidthLimits.NONE);
        c.netOut(dev.cloche.wire.GardenJson.decodeNetOutRule("{\"protocol\":1,\"ports\":[{\"start\":80,\"end\":443}]}"));
        c.bulkNetOut(dev.cloche.wire.GardenJson.decodeNetOutRules("[{\"protocol\":2},{\"protocol\":3,\"icmps\":{\"type\":8,\"code\":0}}]"));
        assertThat(backend.container("lim").netOutRules()).hasSize(3);
    }
}
