package dev.cloche.client;

import dev.cloche.api.GardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.server.BearerToken;
import dev.cloche.server.GardenServer;
import dev.cloche.server.ServerTls;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.GardenClientConformance;
import dev.cloche.testkit.TestPki;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole GardenClient contract (run and attach over hijacked connections, streams, stream-in/out) through
 * RemoteGardenClient to the real server over mutual TLS with a bearer token on every request.
 */
class RemoteGardenClientTlsConformanceTest extends GardenClientConformance {
    static final String TOKEN = "conformance-token-0123456789";

    @TempDir
    static Path pkiDir;
    static TestPki pki;

    private final ContainerManager core = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS);
    private GardenServer server;

    @BeforeAll
    static void certificates() {
        pki = TestPki.in(pkiDir);
    }

    @BeforeEach
    void startServer() {
        server = GardenServer.builder(core).tcp(new InetSocketAddress("127.0.0.1", 0))
                .tls(ServerTls.of(pki.server().certificate(), pki.server().key()).requiringClientCertificatesFrom(pki.ca()))
                .token(BearerToken.of(TOKEN)).start();
    }

    @AfterEach
    void stopServer() {
        server.close();
        core.close();
    }

    @Override
    protected GardenClient newClient() {
        return RemoteGardenClient.tcp("127.0.0.1", server.tcpPort().orElseThrow(), new ClientSecurity(
                java.util.Optional.of(ClientTls.trusting(pki.ca())
                        .withClientCertificate(pki.client().certificate(), pki.client().key())),
                java.util.Optional.of(TOKEN)));
    }
}
