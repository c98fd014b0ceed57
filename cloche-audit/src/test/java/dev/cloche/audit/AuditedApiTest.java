package dev.cloche.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.CallContext;
import dev.cloche.api.Caller;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ImageCatalog;
import dev.cloche.api.ImageRef;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.api.NetOutRule;
import dev.cloche.api.PortLayer;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.portlayer.CorePortLayer;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.FakeImages;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every state-changing verb leaves one record, through the decorators over the real core on the fake backend. */
class AuditedApiTest {
    private static final Caller ALICE = new Caller("unix", "/run/cloche/garden.sock", OptionalInt.of(1000),
            OptionalLong.of(4242), Optional.empty());
    private static final List<String> SECRETS = List.of("hunter2", "tok-123", "regpass", "s3cr3t", "xyzzy", "propsecret");

    @TempDir
    Path dir;

    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private JsonLinesAuditLog log;

    @AfterEach
    void close() {
        core.close();
        if (log != null) {
            log.close();
        }
    }

    private List<AuditRecord> records() throws IOException {
        List<AuditRecord> out = new ArrayList<>();
        new AuditReader(log.file(), AuditFilter.ALL, e -> out.add(e.record())).readAll();
        return out;
    }

    @Test
    void eachVerbIsOneRecordWithWhoWhatAndOutcomeAndNoSecret() throws IOException {
        log = JsonLinesAuditLog.open(dir.resolve("audit/audit.log"), 1 << 20, 3);
        Auditor auditor = Auditor.of(log);
        GardenClient garden = new AuditedGardenClient(core, auditor);
        PortLayer portLayer = new CorePortLayer(garden, new AuditedVersionedContainers(core, auditor));
        CallContext ctx = new CallContext("00000000000000aa", ALICE);

        ctx.run(() -> {
            Container c = garden.create(ContainerSpec.withHandle("h1")
                    .withImage(new ImageRef("docker://registry.local/app", "bob", "regpass"))
                    .withEnv(List.of("DB_PASSWORD=hunter2", "PATH=/bin", "api_token=tok-123", "NO_VALUE"))
                    .withProperties(Map.of("colour", "blue", "my_secret", "propsecret")));
            c.setProperty("owner", "alice");
            c.setProperty("AWS_SECRET_KEY", "xyzzy");
            c.removeProperty("owner");
            c.setGraceTime(Duration.ofMinutes(5));
            c.netIn(8080, 80);
            NetOutRule rule = new NetOutRule(NetOutRule.Protocol.TCP, List.of(new NetOutRule.IpRange("10.0.0.1", "10.0.0.9")),
                    List.of(new NetOutRule.PortRange(443, 443)), Optional.empty(), false);
            c.netOut(rule);
            c.bulkNetOut(List.of(rule, rule));
            c.streamIn(new StreamInSpec("/etc", "root", new ByteArrayInputStream(new byte[1024])));
            Process p = c.run(ProcessSpec.of("sleep", "100").withId("p1").withEnv(List.of("Secret=s3cr3t")), ProcessIO.NONE);
            p.signal(Signal.KILL);
            p.await();
            garden.lookup("h1").attach("p1", ProcessIO.NONE).close();
            c.stop(false);
            portLayer.commit(portLayer.getHandle("h1").withMemoryLimit(64 << 20).withProperty("stage", "two"));
            garden.destroy("h1");
            assertThatThrownBy(() -> garden.destroy("h1")).isInstanceOf(ContainerNotFoundException.class);
        });

        List<AuditRecord> rs = records();
        assertThat(rs).extracting(AuditRecord::verb).containsExactly("create", "property-set", "property-set",
                "property-remove", "grace-time", "net-in", "net-out", "net-out", "stream-in", "run", "signal", "stop",
                "commit", "destroy", "destroy");
        assertThat(rs).allSatisfy(r -> {
            assertThat(r.requestId()).isEqualTo("00000000000000aa");
            assertThat(r.caller()).isEqualTo(ALICE);
            assertThat(r.handle()).contains("h1");
        });
        assertThat(rs.subList(0, rs.size() - 1)).allSatisfy(r -> assertThat(r.outcome().ok()).isTrue());
        AuditRecord failed = rs.getLast();
        assertThat(failed.outcome().error()).contains("container_not_found");
        assertThat(failed.outcome().message().orElseThrow()).contains("h1");

        assertThat(rs.get(0).detail()).contains("DB_PASSWORD=<redacted>", "PATH=/bin", "api_token=<redacted>", "NO_VALUE",
                "registry.local/app", "\"username\":\"bob\"", "\"colour\":\"blue\"");
        assertThat(rs.get(2).detail()).isEqualTo("{\"name\":\"AWS_SECRET_KEY\",\"value\":\"<redacted>\"}");
        assertThat(rs.get(4).detail()).contains("PT5M");
        assertThat(rs.get(5).detail()).contains("\"container_port\":80", "mapped");
        assertThat(rs.get(6).detail()).contains("10.0.0.1", "443");
        assertThat(rs.get(8).detail()).contains("\"path\":\"/etc\"");
        assertThat(rs.get(9).processId()).contains("p1");
        assertThat(rs.get(9).detail()).contains("Secret=<redacted>", "\"path\":\"sleep\"");
        assertThat(rs.get(10).processId()).contains("p1");
        assertThat(rs.get(10).detail()).contains("KILL");
        assertThat(rs.get(12).detail()).contains("\"base_version\":", "\"set_property\":\"stage\"", "limits",
                String.valueOf(64 << 20), "\"version\":");
        String file = Files.readString(log.file());
        assertThat(SECRETS).allSatisfy(s -> assertThat(file).doesNotContain(s));
    }

    @Test
    void aGeneratedHandleAndProcessIdAreRecordedFromTheResult() throws IOException {
        log = JsonLinesAuditLog.open(dir.resolve("audit.log"), 1 << 20, 1);
        GardenClient garden = new AuditedGardenClient(core, Auditor.of(log));
        Container c = garden.create(ContainerSpec.empty());
        Process p = c.run(ProcessSpec.of("sleep"), ProcessIO.NONE);

        List<AuditRecord> rs = records();
        assertThat(rs.get(0).handle()).contains(c.handle());
        assertThat(rs.get(1).processId()).contains(p.id());
        // nothing bound: the daemon's own context
        assertThat(rs).allSatisfy(r -> {
            assertThat(r.requestId()).isEqualTo("-");
            assertThat(r.caller()).isEqualTo(Caller.internal("daemon"));
        });
    }

    @Test
    void aFrontEndsCallsEachGetARequestIdAndTheFrontEndAsCaller() throws IOException {
        log = JsonLinesAuditLog.open(dir.resolve("audit.log"), 1 << 20, 1);
        GardenClient console = new AuditedGardenClient(core, Auditor.frontEnd(log, "console"));
        console.create(ContainerSpec.withHandle("task-1"));
        console.destroy("task-1");

        List<AuditRecord> rs = records();
        assertThat(rs).extracting(AuditRecord::verb).containsExactly("create", "destroy");
        assertThat(rs).allSatisfy(r -> assertThat(r.caller()).isEqualTo(Caller.internal("console")));
        assertThat(rs.get(0).requestId()).matches("[0-9a-f]{16}").isNotEqualTo(rs.get(1).requestId());
    }

    @Test
    void aRefusedCreateIsRecordedWithItsErrorKindAndNothingIsLost() throws IOException {
        log = JsonLinesAuditLog.open(dir.resolve("audit.log"), 1 << 20, 1);
        GardenClient garden = new AuditedGardenClient(core, Auditor.of(log));
        garden.create(ContainerSpec.withHandle("dup"));
        assertThatThrownBy(() -> garden.create(ContainerSpec.withHandle("dup"))).hasMessageContaining("already in use");

        List<AuditRecord> rs = records();
        assertThat(rs).hasSize(2);
        assertThat(rs.get(1).outcome().error()).contains("already_exists");
        assertThat(backend.liveHandles()).containsExactly("dup");
    }

    @Test
    void imagePullsAndPrunesAreRecordedWithoutTheRegistryPassword() throws IOException {
        log = JsonLinesAuditLog.open(dir.resolve("audit.log"), 1 << 20, 1);
        ImageCatalog images = new AuditedImageCatalog(core, Auditor.of(log));
        images.pullImage(new ImageRef(FakeImages.BUSYBOX, "bob", "hunter2"), p -> { });
        assertThatThrownBy(() -> images.pullImage(ImageRef.of(FakeImages.BROKEN), p -> { }))
                .isInstanceOf(ServiceUnavailableException.class);
        images.pruneImages();
        images.images();

        List<AuditRecord> rs = records();
        assertThat(rs).extracting(AuditRecord::verb).containsExactly("image-pull", "image-pull", "image-prune");
        assertThat(rs.get(0).detail()).contains(FakeImages.BUSYBOX, "\"username\":\"bob\"", "<redacted>");
        assertThat(rs.get(1).outcome().error()).contains("service_unavailable");
        assertThat(rs.get(2).detail()).contains("\"images\":1");
        assertThat(Files.readString(log.file())).doesNotContain("hunter2");
    }
}
