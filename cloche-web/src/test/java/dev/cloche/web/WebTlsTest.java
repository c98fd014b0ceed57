package dev.cloche.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.server.ServerTls;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.TestPki;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The web console over HTTPS, with certificates made by the real openssl: the session cookie is then Secure. */
class WebTlsTest {
    private static final String TOKEN = "00112233445566778899aabbccddeeff";

    @TempDir
    Path dir;

    @Test
    void overHttpsTheCookieIsSecureAndTheHostIsPinned() throws Exception {
        TestPki pki = TestPki.in(dir);
        try (ContainerManager core = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS)) {
            WebServer server = WebServer.start(new InetSocketAddress("127.0.0.1", 0),
                    Optional.of(ServerTls.of(pki.server().certificate(), pki.server().key())),
                    new WebRouter(new WebSessions(TOKEN, Duration.ofHours(1), Clock.systemUTC()), core, Optional.empty(),
                            Optional.empty()), core);
            try (HttpClient https = HttpClient.newBuilder().sslContext(trusting(pki.ca())).build();
                 HttpClient plain = HttpClient.newHttpClient()) {
                int port = server.address().getPort();
                HttpResponse<String> login = https.send(HttpRequest.newBuilder(
                        URI.create("https://127.0.0.1:" + port + "/login?token=" + TOKEN)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(login.statusCode()).isEqualTo(200);
                assertThat(login.headers().firstValue("set-cookie").orElseThrow()).contains("Secure", "HttpOnly", "SameSite=Strict");
                assertThat(login.headers().firstValue("strict-transport-security")).hasValue("max-age=31536000");
                // plain HTTP to the TLS listener gets no page
                assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()))
                        .isInstanceOf(IOException.class);
            } finally {
                server.close();
            }
        }
    }

    private static SSLContext trusting(Path caPem) throws Exception {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(null, tmf.getTrustManagers(), null);
        return ctx;
    }
}
