package dev.cloche.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamInSpec;
import dev.cloche.client.RemoteGardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.server.GardenServer;
import dev.cloche.testkit.FakeBackend;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Garden server over the audited core, called by the remote client: each request's record names the TCP peer and
 * a request id of its own, and a signal sent on a run's control connection is recorded under that run's request.
 */
class AuditOverTheWireTest {
    @TempDir
    Path dir;

    @Test
    void recordsOfRemoteCallsNameThePeerAndTheirRequest() throws Exception {
        List<AuditRecord> rs = new ArrayList<>();
        try (ContainerManager core = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS);
             JsonLinesAuditLog log = JsonLinesAuditLog.open(dir.resolve("audit.log"), 1 << 20, 1)) {
            GardenClient audited = new AuditedGardenClient(core, Auditor.of(log));
            try (GardenServer server = GardenServer.builder(audited).tcp(new InetSocketAddress("127.0.0.1", 0)).start();
                 RemoteGardenClient client = RemoteGardenClient.tcp("127.0.0.1", server.tcpPort().getAsInt())) {
                Container c = client.create(ContainerSpec.withHandle("w").withEnv(List.of("API_TOKEN=t0ps3cret")));
                c.streamIn(new StreamInSpec("/srv", "root", new ByteArrayInputStream(new byte[1024])));
                Process p = c.run(ProcessSpec.of("sleep").withId("main"), ProcessIO.NONE);
                p.signal(Signal.TERMINATE);
                assertThat(p.await()).isEqualTo(128 + 15);
                c.setProperty("k", "v");
                client.destroy("w");
            }
            new AuditReader(log.file(), AuditFilter.ALL, e -> rs.add(e.record())).readAll();
        }
        assertThat(rs).extracting(AuditRecord::verb).containsExactly("create", "stream-in", "run", "signal", "property-set",
                "destroy");
        assertThat(rs).allSatisfy(r -> {
            assertThat(r.caller().transport()).isEqualTo("tcp");
            assertThat(r.caller().address()).startsWith("127.0.0.1:");
            assertThat(r.handle()).contains("w");
            assertThat(r.outcome().ok()).isTrue();
        });
        assertThat(rs.get(3).processId()).contains("main");
        assertThat(rs.get(3).requestId()).isEqualTo(rs.get(2).requestId());
        assertThat(rs.stream().map(AuditRecord::requestId).distinct()).hasSize(5);
        assertThat(rs.getFirst().detail()).contains("API_TOKEN=<redacted>").doesNotContain("t0ps3cret");
    }
}
