package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Edge cases of the HTTP edge that the captures do not cover, over the real core and the fake backend. */
@Timeout(20)
class GardenServerTest {
    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private GardenServer server;
    private InetSocketAddress addr;

    @BeforeEach
    void start() {
        server = GardenServer.start(core, Optional.of(new InetSocketAddress("127.0.0.1", 0)), Optional.empty());
        addr = new InetSocketAddress("127.0.0.1", server.tcpPort().orElseThrow());
    }

    @AfterEach
    void stop() {
        server.close();
        server.close(); // idempotent
        core.close();
    }

    private String call(String request) {
        return RawSocket.exchange(addr, request);
    }

    private static String req(String method, String path, String body) {
        return RawSocket.request(method, path, body);
    }

    @Test
    void malformedJsonIs400AndTheServerKeepsServing() {
        String answer = call(req("POST", "/containers", "{\"handle\": nope"));
        assertThat(answer).startsWith("HTTP/1.1 400 Bad Request\r\n").contains("X-Cloche-Error-Kind: INVALID_REQUEST")
                .contains("\"Type\":\"\"");
        assertThat(call(req("GET", "/ping", ""))).startsWith("HTTP/1.1 200 OK\r\n").endsWith("\r\n\r\n{}\n");
    }

    @Test
    void badNumberIs400() {
        call(req("POST", "/containers", "{\"handle\":\"h\"}"));
        assertThat(call(req("PUT", "/containers/h/grace_time", "\"soon\""))).startsWith("HTTP/1.1 400 ");
        assertThat(call(req("PUT", "/containers/h/grace_time", "12x"))).startsWith("HTTP/1.1 400 ");
    }

    @Test
    void oversizedBodyIs400() {
        String big = "{\"handle\":\"" + "x".repeat(HttpHandler.MAX_BODY) + "\"}";
        assertThat(call(req("POST", "/containers", big))).startsWith("HTTP/1.1 400 ");
        assertThat(call(req("GET", "/ping", ""))).startsWith("HTTP/1.1 200 OK");
    }

    @Test
    void unknownPathIsGoStyle404AndWrongMethodIs405WithAllow() {
        assertThat(call(req("GET", "/nope", ""))).startsWith("HTTP/1.1 404 Not Found\r\n")
                .contains("Content-Type: text/plain; charset=utf-8").endsWith("\r\n\r\n404 page not found\n");
        assertThat(call(req("PATCH", "/containers/h/info", ""))).startsWith("HTTP/1.1 405 Method Not Allowed\r\n")
                .contains("Allow: GET");
    }

    @Test
    void keepAliveServesSeveralRequestsOnOneConnection() {
        try (RawSocket c = RawSocket.open(addr)) {
            c.send("GET /ping HTTP/1.1\r\nHost: api\r\n\r\nGET /capacity HTTP/1.1\r\nHost: api\r\n\r\n");
            RawSocket.Head first = c.readHead();
            assertThat(first.header("connection")).isNull();
            assertThat(new String(c.readBody(Integer.parseInt(first.header("content-length"))), StandardCharsets.UTF_8)).isEqualTo("{}\n");
            RawSocket.Head second = c.readHead();
            assertThat(new String(c.readBody(Integer.parseInt(second.header("content-length"))), StandardCharsets.UTF_8))
                    .contains("max_containers");
        }
    }

    @Test
    void pipelinedRunDeliversStdinSentWithTheRequest() {
        call(req("POST", "/containers", "{\"handle\":\"p\"}"));
        String spec = "{\"id\":\"cat1\",\"path\":\"sh\",\"args\":[\"-c\",\"cat; exit 7\"],\"rlimits\":{},\"image\":{}}\n";
        try (RawSocket a = RawSocket.open(addr)) {
            a.send("POST /containers/p/processes HTTP/1.1\r\nHost: api\r\nContent-Type: application/json\r\nContent-Length: "
                    + spec.length() + "\r\n\r\n" + spec
                    + "{\"process_id\":\"cat1\",\"source\":0,\"data\":\"a\\u003cb\\n\"}\n{\"process_id\":\"cat1\",\"source\":0}\n");
            RawSocket.Head head = a.readHead();
            assertThat(head.statusLine()).isEqualTo("HTTP/1.1 201 Created");
            assertThat(head.header("transfer-encoding")).isEqualTo("chunked");
            assertThat(head.header("connection")).isNull();
            assertThat(a.readLine()).isEqualTo("{\"process_id\":\"cat1\",\"stream_id\":\"1\"}");
            try (RawSocket b = RawSocket.open(addr)) {
                b.send("GET /containers/p/processes/cat1/attaches/1/stdout HTTP/1.1\r\nHost: api\r\n\r\n");
                assertThat(b.readHead().statusLine()).isEqualTo("HTTP/1.1 200 OK");
                assertThat(new String(b.readToEof(), StandardCharsets.UTF_8)).isEqualTo("a<b\n");
            }
            assertThat(a.readLine()).isEqualTo("{\"process_id\":\"cat1\",\"exit_status\":7}");
            assertThat(a.readToEof()).isEmpty();
        }
    }

    @Test
    void runErrorsAreTypedWithContentLengthAndNoConnectionClose() {
        call(req("POST", "/containers", "{\"handle\":\"e\"}"));
        String spec = "{\"path\":\"/no/such/missing-bin\",\"rlimits\":{},\"image\":{}}\n";
        try (RawSocket a = RawSocket.open(addr)) {
            a.send("POST /containers/e/processes HTTP/1.1\r\nHost: api\r\nContent-Length: " + spec.length() + "\r\n\r\n" + spec);
            RawSocket.Head head = a.readHead();
            assertThat(head.statusLine()).isEqualTo("HTTP/1.1 500 Internal Server Error");
            assertThat(head.header("connection")).isNull();
            String body = new String(a.readBody(Integer.parseInt(head.header("content-length"))), StandardCharsets.UTF_8);
            assertThat(body).startsWith("{\"Type\":\"ExecutableNotFoundError\"");
        }
    }

    @Test
    void unknownStreamIdIs200ThenClose() {
        try (RawSocket b = RawSocket.open(addr)) {
            b.send("GET /containers/x/processes/p/attaches/999/stdout HTTP/1.1\r\nHost: api\r\n\r\n");
            RawSocket.Head head = b.readHead();
            assertThat(head.statusLine()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(head.header("transfer-encoding")).isEqualTo("chunked");
            assertThat(b.readToEof()).isEmpty();
        }
    }

    @Test
    void detachKeepsTheProcessAndAttachGetsTheExitStatus() {
        call(req("POST", "/containers", "{\"handle\":\"d\"}"));
        String spec = "{\"id\":\"s\",\"path\":\"sleep\",\"rlimits\":{},\"image\":{}}\n";
        try (RawSocket a = RawSocket.open(addr)) {
            a.send("POST /containers/d/processes HTTP/1.1\r\nHost: api\r\nContent-Length: " + spec.length() + "\r\n\r\n" + spec);
            a.readHead();
            a.readLine();
        } // client goes away: detach only
        try (RawSocket a2 = RawSocket.open(addr)) {
            a2.send("GET /containers/d/processes/s HTTP/1.1\r\nHost: api\r\n\r\n");
            assertThat(a2.readHead().statusLine()).isEqualTo("HTTP/1.1 200 OK");
            assertThat(a2.readLine()).isEqualTo("{\"process_id\":\"s\",\"stream_id\":\"2\"}");
            a2.send("{\"process_id\":\"s\",\"signal\":1}\n");
            assertThat(a2.readLine()).isEqualTo("{\"process_id\":\"s\",\"exit_status\":137}");
        }
    }

    @Test
    void unixSocketIsOwnerAndGroupOnlyReplacesAStaleOneAndIsRemovedAtClose(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("g.sock");
        Files.writeString(sock, "stale");
        try (GardenServer s = GardenServer.unix(core, sock)) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(sock))).isEqualTo("rw-rw----");
            try (var listing = Files.list(dir)) {
                assertThat(listing).containsExactly(sock); // the private directory it was bound in is gone
            }
            assertThat(s.tcpPort()).isEmpty();
            try (RawSocket c = RawSocket.open(java.net.UnixDomainSocketAddress.of(sock))) {
                c.send(req("GET", "/ping", ""));
                assertThat(new String(c.readToEof(), StandardCharsets.UTF_8)).startsWith("HTTP/1.1 200 OK");
            }
        }
        assertThat(sock).doesNotExist();
    }

    @Test
    void malformedRunSpecIs400WithoutConnectionCloseAndPipelinedBytesAreNotParsedAsHttp() {
        call(req("POST", "/containers", "{\"handle\":\"m\"}"));
        String spec = "{\"path\": 5}\n";
        try (RawSocket a = RawSocket.open(addr)) {
            a.send("POST /containers/m/processes HTTP/1.1\r\nHost: api\r\nContent-Length: " + spec.length() + "\r\n\r\n"
                    + spec + "{\"process_id\":\"x\",\"source\":0}\n");
            RawSocket.Head head = a.readHead();
            assertThat(head.statusLine()).isEqualTo("HTTP/1.1 400 Bad Request");
            assertThat(head.header("connection")).isNull();
            assertThat(new String(a.readBody(Integer.parseInt(head.header("content-length"))), StandardCharsets.UTF_8))
                    .startsWith("{\"Type\":\"\",");
            assertThat(a.readToEof()).isEmpty(); // exactly one answer, then close
        }
    }

    @Test
    void unclaimedStreamsBlockTheCoreUntilTheLingerTimeThenDiscard() {
        try (GardenServer quick = GardenServer.start(core, Optional.of(new InetSocketAddress("127.0.0.1", 0)),
                Optional.empty(), java.time.Duration.ofSeconds(1))) {
            InetSocketAddress q = new InetSocketAddress("127.0.0.1", quick.tcpPort().orElseThrow());
            int before = backend.openOutputReaders(); // a core pump holds its reader until it has delivered
            try (RawSocket c = RawSocket.open(q)) {
                c.send(req("POST", "/containers", "{\"handle\":\"l\"}"));
                c.readToEof();
            }
            String spec = "{\"path\":\"echo\",\"args\":[\"unread\"],\"rlimits\":{},\"image\":{}}\n";
            try (RawSocket a = RawSocket.open(q)) {
                a.send("POST /containers/l/processes HTTP/1.1\r\nHost: api\r\nContent-Length: " + spec.length()
                        + "\r\n\r\n" + spec);
                a.readHead();
                a.readLine();
                assertThat(a.readLine()).contains("\"exit_status\":0");
            }
            // nobody asked for stdout: the core's pump is held (lossless) until the linger time, then released
            assertThat(backend.openOutputReaders()).isGreaterThan(before);
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5))
                    .until(() -> backend.openOutputReaders() == before);
        }
    }
}
