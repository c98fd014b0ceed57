package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.cloche.api.CallContext;
import dev.cloche.api.Caller;
import dev.cloche.api.GardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.TestPki;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server's access controls over real sockets, with real clients: curl (TLS, mTLS, tokens), raw sockets, and
 * setpriv for the unix socket's permissions (as another user, in or out of the socket's group).
 */
@Timeout(60)
class AccessTest {
    private static final String SECRET = "test-token-0123456789abcdef";

    @TempDir
    static Path pkiDir;
    static TestPki pki;

    @TempDir
    Path dir;

    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    /** The caller bound around each core call, as the core sees it. */
    private final List<Caller> callers = new CopyOnWriteArrayList<>();
    private final GardenClient recording = recording(core, callers);
    private GardenServer server;

    @BeforeAll
    static void certificates() {
        pki = TestPki.in(pkiDir);
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        core.close();
    }

    private int port() {
        return server.tcpPort().orElseThrow();
    }

    private GardenServer.Builder tcp() {
        return GardenServer.builder(recording).tcp(new InetSocketAddress("127.0.0.1", 0));
    }

    @Test
    void withoutATokenEveryRouteIs401WithNothingAboutWhatExists() {
        server = tcp().token(BearerToken.of(SECRET)).start();
        core.create(dev.cloche.api.ContainerSpec.withHandle("exists"));
        String base = "http://127.0.0.1:" + port();

        Curl noToken = curl("-i", base + "/ping");
        Curl wrong = curl("-i", "-H", "Authorization: Bearer wrong-token-0123456789", base + "/containers/exists/info");
        Curl missing = curl("-i", "-H", "Authorization: Bearer wrong-token-0123456789", base + "/containers/nope/info");
        Curl noRoute = curl("-i", base + "/no/such/route");

        for (Curl c : List.of(noToken, wrong, missing, noRoute)) {
            assertThat(c.out()).startsWith("HTTP/1.1 401 Unauthorized").containsIgnoringCase("WWW-Authenticate: Bearer")
                    .endsWith("\r\n\r\nunauthorized\n");
        }
        assertThat(body(wrong)).isEqualTo(body(missing)); // whether a handle exists is not said
        assertThat(callers).isEmpty(); // the core was never called
    }

    @Test
    void withTheTokenRequestsPass() {
        server = tcp().token(BearerToken.of(SECRET)).start();

        Curl ok = curl("-i", "-H", "Authorization: Bearer " + SECRET, "http://127.0.0.1:" + port() + "/ping");

        assertThat(ok.out()).startsWith("HTTP/1.1 200 OK");
        assertThat(callers).hasSize(1);
    }

    @Test
    void aHijackedRouteWithoutTheTokenStartsNothing() {
        server = tcp().token(BearerToken.of(SECRET)).start();
        core.create(dev.cloche.api.ContainerSpec.withHandle("h"));
        String run = "{\"id\":\"p1\",\"path\":\"echo\",\"args\":[\"hi\"]}\n";
        try (RawSocket c = RawSocket.open(new InetSocketAddress("127.0.0.1", port()))) {
            c.send("POST /containers/h/processes HTTP/1.1\r\nHost: api\r\nContent-Length: " + run.length()
                    + "\r\n\r\n" + run + "{\"process_id\":\"p1\",\"signal\":1}\n");
            String answer = new String(c.readToEof(), StandardCharsets.UTF_8);
            assertThat(answer).startsWith("HTTP/1.1 401 Unauthorized");
        }
        assertThat(core.lookup("h").info().processIds()).isEmpty();
        // the output streams too
        Curl stream = curl("-i", "http://127.0.0.1:" + port() + "/containers/h/processes/p1/attaches/1/stdout");
        assertThat(stream.out()).startsWith("HTTP/1.1 401 Unauthorized");
    }

    @Test
    void theUnixSocketNeedsNoToken() {
        Path sock = dir.resolve("g.sock");
        server = tcp().unixSocket(sock).token(BearerToken.of(SECRET)).start();

        assertThat(curl("-i", "--unix-socket", sock.toString(), "http://x/ping").out()).startsWith("HTTP/1.1 200 OK");
        assertThat(curl("-i", "http://127.0.0.1:" + port() + "/ping").out()).startsWith("HTTP/1.1 401");
    }

    @Test
    void tlsServesHttpsAndNothingPlain() {
        server = tcp().tls(ServerTls.of(pki.server().certificate(), pki.server().key())).start();
        String https = "https://127.0.0.1:" + port() + "/ping";

        assertThat(curl("-i", "--cacert", pki.ca().toString(), https).out()).startsWith("HTTP/1.1 200 OK");
        assertThat(callers).singleElement().satisfies(c -> {
            assertThat(c.transport()).isEqualTo("tls");
            assertThat(c.subject()).isEmpty();
        });
        // a client that does not trust the server's CA stops, and plain HTTP on the TLS port gets no answer
        assertThat(curl("-i", "--cacert", pki.strangerCa().toString(), https).exit()).isNotZero();
        assertThat(curl("-i", "http://127.0.0.1:" + port() + "/ping").out()).doesNotContain("200 OK");
        assertThat(callers).hasSize(1);
    }

    @Test
    void mutualTlsAdmitsOnlyCertificatesOfTheClientCaAndNamesTheSubject() {
        server = tcp().tls(ServerTls.of(pki.server().certificate(), pki.server().key())
                .requiringClientCertificatesFrom(pki.ca())).start();
        String https = "https://127.0.0.1:" + port() + "/ping";

        Curl ok = curl("-i", "--cacert", pki.ca().toString(), "--cert", pki.client().certificate().toString(),
                "--key", pki.client().key().toString(), https);
        Curl none = curl("-i", "--cacert", pki.ca().toString(), https);
        Curl stranger = curl("-i", "--cacert", pki.ca().toString(), "--cert", pki.strangerClient().certificate().toString(),
                "--key", pki.strangerClient().key().toString(), https);

        assertThat(ok.out()).startsWith("HTTP/1.1 200 OK");
        assertThat(none.exit()).isNotZero();
        assertThat(none.out()).doesNotContain("HTTP/1.1");
        assertThat(stranger.exit()).isNotZero();
        assertThat(stranger.out()).doesNotContain("HTTP/1.1");
        assertThat(callers).singleElement().satisfies(c -> {
            assertThat(c.transport()).isEqualTo("tls");
            assertThat(c.subject()).hasValue("CN=alice,O=cloche");
        });
    }

    @Test
    void tlsAndTokenTogether() {
        server = tcp().tls(ServerTls.of(pki.server().certificate(), pki.server().key())).token(BearerToken.of(SECRET)).start();
        String https = "https://127.0.0.1:" + port() + "/ping";

        assertThat(curl("-i", "--cacert", pki.ca().toString(), https).out()).startsWith("HTTP/1.1 401");
        assertThat(curl("-i", "--cacert", pki.ca().toString(), "-H", "Authorization: Bearer " + SECRET, https).out())
                .startsWith("HTTP/1.1 200 OK");
    }

    @Test
    void aBadCertificateFileIsAClearStartError() throws IOException {
        Path junk = Files.writeString(dir.resolve("junk.pem"), "not a certificate\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> tcp().tls(ServerTls.of(junk, pki.server().key())).start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("junk.pem");
    }

    @Test
    void theUnixSocketAdmitsItsGroupAndRefusesOtherUsers() throws IOException {
        assumeTrue(isRoot(), "needs root: the test switches to another user with setpriv");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x")); // others may search the dir
        Path sock = dir.resolve("g.sock");
        server = GardenServer.builder(recording).unixSocket(sock).socketGroup("4242").start();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-rw----");
        assertThat(Files.getAttribute(sock, "unix:gid")).isEqualTo(4242);
        assertThat(Files.getOwner(sock).getName()).isEqualTo("root");

        Curl outsider = curl("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "curl", "-sS", "-i", "--max-time", "10", "--unix-socket", sock.toString(), "http://x/ping");
        Curl member = curl("setpriv", "--reuid=65534", "--regid=65534", "--groups=4242",
                "curl", "-sS", "-i", "--max-time", "10", "--unix-socket", sock.toString(), "http://x/ping");

        assertThat(outsider.exit()).isEqualTo(7); // couldn't connect (EACCES on the socket; the dir is searchable)
        assertThat(member.out()).startsWith("HTTP/1.1 200 OK");
        assertThat(callers).hasSize(1);
    }

    @Test
    void withoutASocketGroupOnlyRootsGroupGetsIn() throws IOException {
        assumeTrue(isRoot(), "needs root: the test switches to another user with setpriv");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path sock = dir.resolve("g.sock");
        server = GardenServer.builder(recording).unixSocket(sock).start();

        assertThat(Files.getAttribute(sock, "unix:gid")).isEqualTo(0);
        Curl outsider = curl("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                "curl", "-sS", "-i", "--max-time", "10", "--unix-socket", sock.toString(), "http://x/ping");
        assertThat(outsider.exit()).isEqualTo(7);
        assertThat(callers).isEmpty();
    }

    @Test
    void anUnknownSocketGroupIsAClearStartError() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GardenServer.builder(recording)
                        .unixSocket(dir.resolve("g.sock")).socketGroup("no-such-group-here").start())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--socket-group")
                .hasMessageContaining("no-such-group-here");
        assertThat(dir).isEmptyDirectory();
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private static String body(Curl c) {
        return c.out().substring(c.out().indexOf("\r\n\r\n"));
    }

    record Curl(int exit, String out, String err) {}

    /** Runs curl with {@code args} (or, when the first is not an option or a URL, the whole command line). */
    private static Curl curl(String... args) {
        List<String> argv = new ArrayList<>();
        if (args[0].startsWith("-") || args[0].contains("://")) {
            argv.addAll(List.of("curl", "-sS", "--max-time", "10"));
        }
        argv.addAll(List.of(args));
        try {
            Process p = new ProcessBuilder(argv).start();
            p.getOutputStream().close();
            var err = new java.util.concurrent.CompletableFuture<String>();
            Thread.ofVirtual().start(() -> {
                try {
                    err.complete(new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                } catch (IOException e) {
                    err.complete(e.toString());
                }
            });
            byte[] out = p.getInputStream().readAllBytes();
            assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
            return new Curl(p.exitValue(), new String(out, StandardCharsets.UTF_8), err.join());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** {@code core}, recording the caller bound around every call the server makes on it. */
    private static GardenClient recording(GardenClient core, List<Caller> callers) {
        return (GardenClient) Proxy.newProxyInstance(GardenClient.class.getClassLoader(), new Class<?>[] {GardenClient.class},
                (proxy, method, args) -> {
                    if (CallContext.CURRENT.isBound()) {
                        callers.add(CallContext.current().caller());
                    }
                    try {
                        return method.invoke(core, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }
}
