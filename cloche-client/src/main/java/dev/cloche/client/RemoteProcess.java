package dev.cloche.client;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.wire.ProcessPayload;
import dev.cloche.wire.Route;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A process seen through Garden's wire: control connection A (NDJSON both ways) plus one raw connection per
 * output stream the caller asked for. {@link #await()} is Garden's Wait(): exit status and all output delivered.
 */
final class RemoteProcess implements Process {
    private final HttpConnection control;
    private final String id;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final List<HttpConnection> streams = new CopyOnWriteArrayList<>();
    private final List<Thread> pumps = new CopyOnWriteArrayList<>();
    private final AtomicBoolean closed = new AtomicBoolean();
    /** The first output stream the server refused, reported by {@link #await()}. */
    private final java.util.concurrent.atomic.AtomicReference<GardenException> streamFailure = new java.util.concurrent.atomic.AtomicReference<>();

    private RemoteProcess(HttpConnection control, String id) {
        this.control = control;
        this.id = id;
    }

    static Process start(RemoteGardenClient client, String handle, Route route, Optional<String> spec, ProcessIO io,
                         String... params) {
        HttpConnection a = client.dialer().open();
        List<HttpConnection> early = new ArrayList<>();
        try {
            byte[] body = spec.map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
            // no Connection: close here: the server keeps A open after the head (garden-protocol §7.6)
            RemoteGardenClient.writeHead(a, route.method(), RemoteGardenClient.target(route, Map.of(), params),
                    spec.isPresent() ? "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n" : "");
            a.write(body);
            // Connect the output streams while the server starts the process: their requests need only the ids of
            // the hello line, and with their answers read by the pumps, run waits for no stream round trip
            // (docs/benchmarks.md, exec).
            Optional<HttpConnection> out = io.stdout().map(x -> open(client, early));
            Optional<HttpConnection> err = io.stderr().map(x -> open(client, early));
            HttpConnection.ResponseHead head = a.readHead();
            if (!head.ok()) {
                throw RemoteGardenClient.error(a, head);
            }
            ProcessPayload hello = ProcessPayload.decode(
                    a.readLine().orElseThrow(() -> new IOException("connection closed before the process id")));
            RemoteProcess p = new RemoteProcess(a, hello.processId());
            p.streams.addAll(early);
            try {
                String[] ids = {handle, hello.processId(), hello.streamId()};
                if (out.isPresent()) request(out.get(), Route.STDOUT, ids);
                if (err.isPresent()) request(err.get(), Route.STDERR, ids);
                if (out.isPresent()) p.follow(out.get(), Route.STDOUT, io.stdout().get());
                if (err.isPresent()) p.follow(err.get(), Route.STDERR, io.stderr().get());
            } catch (RuntimeException e) {
                p.close();
                throw e;
            }
            p.pumps.add(Thread.ofVirtual().name("garden-control-" + p.id).start(p::readControl));
            io.stdin().ifPresent(in -> Thread.ofVirtual().name("garden-stdin-" + p.id).start(() -> p.pumpStdin(in)));
            return p;
        } catch (IOException | RuntimeException e) {
            a.close();
            early.forEach(HttpConnection::close);
            if (e instanceof GardenException g) {
                throw g;
            }
            throw GardenError.internal(route.name() + ": " + e.getMessage(), e);
        }
    }

    private static HttpConnection open(RemoteGardenClient client, List<HttpConnection> opened) {
        HttpConnection c = client.dialer().open();
        opened.add(c);
        return c;
    }

    private static void request(HttpConnection c, Route route, String... params) throws IOException {
        RemoteGardenClient.writeHead(c, route.method(), RemoteGardenClient.target(route, Map.of(), params),
                "Content-Type: application/json\r\n");
    }

    /**
     * Reads the stream's answer head, then copies its raw bytes into {@code sink}, on a virtual thread: the answer
     * arrives while the process runs, so {@code run} does not wait a round trip for it. A refused stream fails
     * {@link #await()} instead.
     */
    private void follow(HttpConnection c, Route route, OutputStream sink) {
        pumps.add(Thread.ofVirtual().name("garden-" + route.name().toLowerCase() + "-" + id).start(() -> {
            byte[] buf = new byte[64 * 1024];
            try {
                HttpConnection.ResponseHead head = c.readHead();
                if (!head.ok()) {
                    streamFailure.compareAndSet(null, RemoteGardenClient.error(c, head));
                    return;
                }
                InputStream in = c.rawStream();
                for (int n; (n = in.read(buf)) >= 0; ) {
                    sink.write(buf, 0, n);
                    sink.flush();
                    // a stream that fills the buffer gets a larger one: fewer reads and wake-ups (up to 256 KiB)
                    if (n == buf.length && buf.length < 256 * 1024) buf = new byte[buf.length * 2];
                }
            } catch (IOException e) {
                // detached or the connection broke: this stream simply ends
            } finally {
                c.close();
            }
        }));
    }

    private void readControl() {
        try {
            while (true) {
                Optional<String> line = control.readLine();
                if (line.isEmpty()) {
                    break;
                }
                if (line.get().isBlank()) {
                    continue;
                }
                ProcessPayload p = ProcessPayload.decode(line.get());
                if (p.exitStatus().isPresent()) {
                    exit.complete(p.exitStatus().get());
                } else if (p.error().isPresent()) {
                    exit.completeExceptionally(GardenError.internal("process error: " + p.error().get()));
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through: the connection ended without an exit status
        }
        exit.completeExceptionally(GardenError.internal(
                closed.get() ? "detached from process " + id : "connection closed before process " + id + " exited"));
    }

    private void pumpStdin(InputStream in) {
        byte[] buf = new byte[32 * 1024];
        try (in) {
            for (int n; (n = in.read(buf)) >= 0; ) {
                if (n > 0) {
                    // Garden's data field is a string: invalid UTF-8 becomes U+FFFD, exactly as in Go's client
                    send(ProcessPayload.stdin(id, new String(buf, 0, n, StandardCharsets.UTF_8)));
                }
            }
            send(ProcessPayload.stdinEof(id));
        } catch (IOException | GardenException e) {
            // the process or the connection is gone: nothing more to deliver
        }
    }

    private void send(ProcessPayload p) {
        try {
            control.write(p.encode());
        } catch (IOException e) {
            throw GardenError.internal("process " + id + ": control connection closed", e);
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public int await() {
        int code;
        try {
            code = exit.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof GardenException g) {
                throw g;
            }
            throw e;
        }
        for (Thread t : pumps) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw GardenError.internal("interrupted while waiting for process " + id, e);
            }
        }
        GardenException refused = streamFailure.get();
        if (refused != null) {
            throw refused;
        }
        return code;
    }

    @Override
    public CompletableFuture<Integer> onExit() {
        return exit.copy();
    }

    @Override
    public void setTty(TtySpec tty) {
        send(ProcessPayload.resize(id, tty));
    }

    @Override
    public void signal(Signal signal) {
        send(ProcessPayload.signal(id, signal == Signal.TERMINATE ? 0 : 1));
    }

    /** Detaches: closes A and the output streams; the process keeps running. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            control.close();
            streams.forEach(HttpConnection::close);
        }
    }
}
