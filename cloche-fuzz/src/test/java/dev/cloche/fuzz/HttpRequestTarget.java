package dev.cloche.fuzz;

import dev.cloche.api.Container;
import dev.cloche.api.GardenException;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.portlayer.CorePortLayer;
import dev.cloche.server.GardenServer;
import dev.cloche.testkit.FakeBackend;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The Garden server's whole request path (HTTP codec, router, endpoints, hijacked run/attach/stream connections, the
 * port layer's and the image routes) over the real core and the fake backend, on a unix socket. Each input is the
 * bytes a client sends on one connection before it half-closes. Properties: no answer is an internal error
 * (an unexpected exception; a malformed request is a typed 4xx), the connection ends within 15 s, and afterwards the
 * server still answers a ping on a new connection (one bad client never takes the daemon down).
 */
public final class HttpRequestTarget {
    private static ContainerManager core;
    private static GardenServer server;
    private static UnixDomainSocketAddress address;
    private static final ExecutorService READERS = Executors.newVirtualThreadPerTaskExecutor();
    private static int inputs;

    private HttpRequestTarget() {}

    public static void fuzzerInitialize() {
        try {
            Path dir = Files.createTempDirectory("cloche-fuzz-http");
            Path socket = dir.resolve("garden.sock");
            core = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS);
            server = GardenServer.builder(core).portLayer(new CorePortLayer(core, core)).images(core)
                    .unixSocket(socket).start();
            address = UnixDomainSocketAddress.of(socket);
            // load (and instrument) the request path once before the clock of the first input starts
            exchange(WARM_UP);
        } catch (Exception e) {
            throw new IllegalStateException("the fuzzed server did not start", e);
        }
    }

    private static final byte[] WARM_UP = ("POST /containers HTTP/1.1\r\nHost: x\r\nContent-Length: 17\r\n\r\n{\"handle\":\"warm\"}"
            + "POST /containers/no-such/processes HTTP/1.1\r\nHost: x\r\nContent-Length: 39\r\n\r\n"
            + "{\"id\":\"p\",\"path\":\"/bin/true\",\"args\":[]}").getBytes(StandardCharsets.US_ASCII);

    public static void fuzzerTearDown() {
        server.close();
        core.close();
    }

    public static void fuzzerTestOneInput(byte[] input) throws Exception {
        if (server == null) {
            fuzzerInitialize();
        }
        String answer = exchange(input);
        // a header line of its own: error bodies are JSON, whose strings cannot hold a raw CRLF, so a request that
        // smuggles the words into an echoed message does not count
        if (answer.toLowerCase(Locale.ROOT).contains("\r\nx-cloche-error-kind: internal\r\n")) {
            throw new IllegalStateException("an internal error answered a request:\n" + answer);
        }
        String ping = exchange("GET /ping HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        if (!ping.startsWith("HTTP/1.1 200")) {
            throw new IllegalStateException("the server stopped answering pings after that request:\n" + ping);
        }
        if (++inputs % 500 == 0) {
            forgetContainers();
        }
    }

    /** Sends {@code bytes}, half-closes, and reads until the server closes (at most 15 s). */
    private static String exchange(byte[] bytes) throws Exception {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(address);
            Future<byte[]> read = READERS.submit(() -> readAll(ch));
            try {
                ch.write(ByteBuffer.wrap(bytes));
                ch.shutdownOutput();
            } catch (IOException e) {
                // the server may close first (e.g. after refusing the head); what it said is still read
            }
            try {
                return new String(read.get(15, TimeUnit.SECONDS), StandardCharsets.ISO_8859_1);
            } catch (TimeoutException e) {
                throw new IllegalStateException("the connection did not end within 15 s of the client's half-close");
            } catch (ExecutionException e) {
                return "";
            }
        }
    }

    private static byte[] readAll(SocketChannel ch) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(8192);
        while (ch.read(buf) >= 0) {
            out.write(buf.array(), 0, buf.position());
            buf.clear();
            if (out.size() > (4 << 20)) {
                break;
            }
        }
        return out.toByteArray();
    }

    /** The fake backend keeps what inputs created; clear it now and then so a long run does not fill it. */
    private static void forgetContainers() {
        for (Container c : core.containers(Map.of())) {
            try {
                core.destroy(c.handle());
            } catch (GardenException e) {
                // already gone
            }
        }
    }
}
