package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 22's client that disconnects (docs/reliability.md), at the edge over the real core and the fake backend: a
 * stream-in whose archive is half sent, a run cut before its request is complete or after its process started, and
 * an attach cut while it follows output. After each the server serves, a later call on the same container works, a
 * started process runs on and can be attached again, and a few hundred disconnects leave no descriptor or thread
 * behind. (The Linux backend's side of a cut stream-in, its tar, is the backend's; this proves the edge and core.)
 */
@Timeout(120)
class ClientDisconnectTest {
    private static final int ROUNDS = 300;
    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private GardenServer server;
    private InetSocketAddress addr;

    @BeforeEach
    void start() {
        server = GardenServer.start(core, Optional.of(new InetSocketAddress("127.0.0.1", 0)), Optional.empty());
        addr = new InetSocketAddress("127.0.0.1", server.tcpPort().orElseThrow());
        call(req("POST", "/containers", "{\"handle\":\"c\"}"));
    }

    @AfterEach
    void stop() {
        server.close();
        core.close();
    }

    private String call(String request) {
        return RawSocket.exchange(addr, request);
    }

    private static String req(String method, String path, String body) {
        return RawSocket.request(method, path, body);
    }

    private void assertServes() {
        assertThat(call(req("GET", "/ping", ""))).startsWith("HTTP/1.1 200 OK\r\n");
    }

    /** A ustar archive of one regular file: a 512-byte header, the content padded to 512, two zero blocks. */
    private static byte[] archive(String name, String content) {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        byte[] h = new byte[512];
        put(h, 0, name);
        put(h, 100, "0000644");
        put(h, 108, "0000000");
        put(h, 116, "0000000");
        put(h, 124, String.format("%011o", data.length));
        put(h, 136, String.format("%011o", 0));
        Arrays.fill(h, 148, 156, (byte) ' ');
        h[156] = '0';
        put(h, 257, "ustar");
        put(h, 263, "00");
        int sum = 0;
        for (byte b : h) sum += b & 0xff;
        put(h, 148, String.format("%06o", sum));
        h[155] = ' ';
        int padded = (data.length + 511) / 512 * 512;
        byte[] out = new byte[512 + padded + 1024];
        System.arraycopy(h, 0, out, 0, 512);
        System.arraycopy(data, 0, out, 512, data.length);
        return out;
    }

    private static void put(byte[] h, int at, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, at, b.length);
    }

    /** Sends the stream-in's head and the first half of its archive, then goes away. */
    private void halfStreamIn(String dest, byte[] tar) {
        try (RawSocket c = RawSocket.open(addr)) {
            c.send("PUT /containers/c/files?destination=" + dest + " HTTP/1.1\r\nHost: api\r\nContent-Type: application/x-tar\r\n"
                    + "Content-Length: " + tar.length + "\r\n\r\n");
            c.send(Arrays.copyOf(tar, tar.length / 2));
        }
    }

    private String streamIn(String dest, byte[] tar) {
        try (RawSocket c = RawSocket.open(addr)) {
            c.send("PUT /containers/c/files?destination=" + dest + " HTTP/1.1\r\nHost: api\r\nConnection: close\r\n"
                    + "Content-Type: application/x-tar\r\nContent-Length: " + tar.length + "\r\n\r\n");
            c.send(tar);
            return new String(c.readToEof(), StandardCharsets.UTF_8);
        }
    }

    private static String runRequest(String id, String path, String... args) {
        String spec = "{\"id\":\"" + id + "\",\"path\":\"" + path + "\",\"args\":[" + String.join(",",
                Arrays.stream(args).map(a -> "\"" + a + "\"").toList()) + "],\"rlimits\":{},\"image\":{}}\n";
        return "POST /containers/c/processes HTTP/1.1\r\nHost: api\r\nContent-Length: " + spec.length() + "\r\n\r\n" + spec;
    }

    @Test
    void aStreamInCutHalfWayLeavesTheContainerUsableAndALaterStreamInWorks() {
        byte[] tar = archive("file.txt", "x".repeat(64 * 1024));
        halfStreamIn("/dest", tar);
        assertServes();
        assertThat(streamIn("/dest", tar)).startsWith("HTTP/1.1 200 OK\r\n");
        String out = call(req("GET", "/containers/c/files?source=/dest/file.txt", ""));
        assertThat(out).startsWith("HTTP/1.1 200 OK\r\n").contains("x".repeat(1024));
    }

    @Test
    void aRunCutBeforeOrAfterItsProcessStartedLeavesTheServerServingAndTheProcessAttachable() {
        // before: the request's body never arrives whole
        try (RawSocket a = RawSocket.open(addr)) {
            String full = runRequest("early", "sleep");
            a.send(full.substring(0, full.length() - 20));
        }
        assertServes();
        // after: the process started, the client goes without reading further
        try (RawSocket a = RawSocket.open(addr)) {
            a.send(runRequest("late", "sleep"));
            assertThat(a.readHead().statusLine()).isEqualTo("HTTP/1.1 201 Created");
        }
        assertServes();
        try (RawSocket again = RawSocket.open(addr)) {
            again.send("GET /containers/c/processes/late HTTP/1.1\r\nHost: api\r\n\r\n");
            assertThat(again.readHead().statusLine()).as("attach after the run's client went").isEqualTo("HTTP/1.1 200 OK");
            assertThat(again.readLine()).startsWith("{\"process_id\":\"late\"");
            // an attach cut while it follows the process: the process runs on
        }
        try (RawSocket third = RawSocket.open(addr)) {
            third.send("GET /containers/c/processes/late HTTP/1.1\r\nHost: api\r\n\r\n");
            assertThat(third.readHead().statusLine()).isEqualTo("HTTP/1.1 200 OK");
            third.readLine();
            third.send("{\"process_id\":\"late\",\"signal\":1}\n");
            assertThat(third.readLine()).isEqualTo("{\"process_id\":\"late\",\"exit_status\":137}");
        }
    }

    @Test
    void hundredsOfDisconnectsLeaveNoDescriptorOrThreadBehind() throws Exception {
        // warm up every path once, so lazily made pools and caches are counted in the baseline
        disconnectRound(0);
        settle();
        long fds = openFds();
        long threads = platformThreads();
        for (int i = 1; i <= ROUNDS; i++) {
            disconnectRound(i);
        }
        assertServes();
        settle();
        // a little slack for threads the JVM itself starts or ends meanwhile (GC, JIT): a leak per round is hundreds
        assertThat(waitFor(() -> openFds() <= fds + 5)).as("open descriptors: " + fds + " before, " + openFds()
                + " after " + ROUNDS + " rounds").isTrue();
        assertThat(waitFor(() -> platformThreads() <= threads + 5)).as("threads: " + threads + " before, "
                + platformThreads() + " after").isTrue();
    }

    /** One of each disconnect: a half stream-in, a run cut after its start, an attach cut mid-follow. */
    private void disconnectRound(int i) {
        halfStreamIn("/round", archive("f" + i, "y".repeat(8192)));
        try (RawSocket a = RawSocket.open(addr)) {
            a.send(runRequest("r" + i, "echo", "hi"));
            a.readHead();
        }
        try (RawSocket a = RawSocket.open(addr)) {
            a.send("GET /containers/c/processes/r" + i + " HTTP/1.1\r\nHost: api\r\n\r\n");
            a.readHead();
        }
    }

    private static void settle() throws InterruptedException {
        System.gc();
        Thread.sleep(500);
    }

    private static boolean waitFor(java.util.function.BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(200);
        }
        return true;
    }

    private static long openFds() {
        try (var s = Files.list(Path.of("/proc/self/fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long platformThreads() {
        try (var s = Files.list(Path.of("/proc/self/task"))) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
