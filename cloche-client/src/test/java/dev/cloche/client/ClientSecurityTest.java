package dev.cloche.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.server.BearerToken;
import dev.cloche.server.GardenServer;
import dev.cloche.server.ServerTls;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.TestPki;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** What RemoteGardenClient says when a secured server refuses it, over real sockets. */
@Timeout(30)
class ClientSecurityTest {
    private static final String TOKEN = "client-test-token-0123456789";

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
    void start() {
        server = GardenServer.builder(core).tcp(new InetSocketAddress("127.0.0.1", 0))
                .tls(ServerTls.of(pki.server().certificate(), pki.server().key()).requiringClientCertificatesFrom(pki.ca()))
                .token(BearerToken.of(TOKEN)).start();
    }

    @AfterEach
    void stop() {
        server.close();
        core.close();
    }

    private RemoteGardenClient client(String host, ClientTls tls, Optional<String> token) {
        return RemoteGardenClient.tcp(host, server.tcpPort().orElseThrow(), new ClientSecurity(Optional.of(tls), token));
    }

    private ClientTls good() {
        return ClientTls.trusting(pki.ca()).withClientCertificate(pki.client().certificate(), pki.client().key());
    }

    @Test
    void theRightCertificateAndTokenGetThrough() {
        try (RemoteGardenClient c = client("127.0.0.1", good(), Optional.of(TOKEN))) {
            assertThatCode(c::ping).doesNotThrowAnyException();
            c.create(ContainerSpec.withHandle("via-tls"));
        }
        assertThat(core.lookup("via-tls").handle()).isEqualTo("via-tls");
        // the name in the certificate counts too
        try (RemoteGardenClient c = client("localhost", good(), Optional.of(TOKEN))) {
            assertThatCode(c::ping).doesNotThrowAnyException();
        }
    }

    @Test
    void withoutTheTokenTheCallIsRefusedSayingWhatIsMissing() {
        try (RemoteGardenClient c = client("127.0.0.1", good(), Optional.empty())) {
            assertThatThrownBy(c::ping).isInstanceOf(InvalidRequestException.class).hasMessageContaining("401")
                    .hasMessageContaining("--token");
            assertThatThrownBy(() -> c.create(ContainerSpec.withHandle("no"))).isInstanceOf(InvalidRequestException.class);
        }
        try (RemoteGardenClient c = client("127.0.0.1", good(), Optional.of("wrong-token-0123456789"))) {
            assertThatThrownBy(c::ping).isInstanceOf(InvalidRequestException.class);
        }
        assertThat(core.containers(java.util.Map.of())).isEmpty();
    }

    @Test
    void aClientCertificateOfAnotherCaIsRefusedAtTheHandshake() {
        ClientTls stranger = ClientTls.trusting(pki.ca())
                .withClientCertificate(pki.strangerClient().certificate(), pki.strangerClient().key());
        try (RemoteGardenClient c = client("127.0.0.1", stranger, Optional.of(TOKEN))) {
            // TLS 1.3: the server's verdict on the client's certificate comes after the client's handshake is done,
            // as an alert on the first read or a connection closed under the first write (the server's log says why)
            assertThatThrownBy(c::ping).isInstanceOf(GardenException.class);
        }
        try (RemoteGardenClient c = client("127.0.0.1", ClientTls.trusting(pki.ca()), Optional.of(TOKEN))) {
            assertThatThrownBy(c::ping).isInstanceOf(GardenException.class);
        }
    }

    @Test
    void aServerCertificateOfAnotherCaIsNotTrusted() {
        ClientTls wrongTrust = ClientTls.trusting(pki.strangerCa())
                .withClientCertificate(pki.client().certificate(), pki.client().key());
        try (RemoteGardenClient c = client("127.0.0.1", wrongTrust, Optional.of(TOKEN))) {
            assertThatThrownBy(c::ping).isInstanceOf(GardenException.class).hasMessageContaining("TLS");
        }
    }

    @Test
    void misuseIsSaidUpFront(@TempDir Path dir) {
        assertThatThrownBy(() -> RemoteGardenClient.unix(dir.resolve("s"), ClientSecurity.NONE.withTls(ClientTls.trusting(pki.ca()))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TCP");
        assertThatThrownBy(() -> new ClientTls(Optional.empty(), Optional.of(pki.client().certificate()), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--key");
        // the key file is read when the client is made
        assertThatThrownBy(() -> client("127.0.0.1", ClientTls.trusting(pki.ca())
                .withClientCertificate(pki.client().certificate(), pki.ca()), Optional.empty()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PKCS#8");
        assertThat(ClientSecurity.NONE.withToken(TOKEN).toString()).doesNotContain(TOKEN);
    }
}
