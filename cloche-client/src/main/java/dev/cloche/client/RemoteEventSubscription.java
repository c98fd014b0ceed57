package dev.cloche.client;

import dev.cloche.api.Event;
import dev.cloche.api.EventSubscription;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.wire.ErrorCodec;
import dev.cloche.wire.EventJson;
import dev.cloche.wire.EventRoute;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * An event subscription over {@code GET /events}: one connection kept open, its lines read on a virtual thread into a
 * small queue (a caller that stops reading fills it, then the socket, and the server cuts the subscription with a
 * lost record). It ends when the server ends the stream or the connection breaks; {@link #close()} closes the
 * connection, which ends the subscription on the server too.
 */
final class RemoteEventSubscription implements EventSubscription {
    private static final int QUEUE = 256;

    /** What the reader hands over: an event, or the end of the stream. */
    private sealed interface Item permits Next, End {}

    private record Next(Event event) implements Item {}

    private record End() implements Item {}

    private static final End END = new End();

    private final HttpConnection connection;
    private final BlockingQueue<Item> queue = new ArrayBlockingQueue<>(QUEUE);
    private volatile boolean closed;
    private boolean ended;

    private RemoteEventSubscription(HttpConnection connection, BufferedReader lines) {
        this.connection = connection;
        Thread.ofVirtual().name("cloche-events-reader").start(() -> read(lines));
    }

    /** Subscribes; a refusal (bad query, a server without events) is thrown here, before any event. */
    static RemoteEventSubscription open(Supplier<HttpConnection> connect, String server, EventRoute.Request request) {
        HttpConnection c = connect.get();
        try {
            RemoteGardenClient.writeHead(c, EventRoute.METHOD, EventRoute.target(request), "Connection: close\r\n");
            HttpConnection.ResponseHead head = c.readHead();
            if (!head.ok()) {
                GardenException e = head.status() == 404 && head.header(ErrorCodec.KIND_HEADER).isEmpty()
                        ? new InvalidRequestException("the server at " + server
                                + " serves no events (a Garden server that is not Cloche?)")
                        : RemoteGardenClient.error(c, head);
                c.close();
                throw e;
            }
            return new RemoteEventSubscription(c,
                    new BufferedReader(new InputStreamReader(c.body(head), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            c.close();
            throw GardenError.internal("events: " + e.getMessage(), e);
        }
    }

    private void read(BufferedReader lines) {
        try {
            for (String line = lines.readLine(); line != null && !closed; line = lines.readLine()) {
                if (!line.isBlank()) {
                    queue.put(new Next(EventJson.decode(line)));
                }
            }
        } catch (IOException | RuntimeException e) {
            // the connection broke or was closed, or a line did not parse: either way the stream ends here
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                connection.close();
            } catch (RuntimeException ignored) {
                // already closed
            }
            // make room for the end if the caller stopped reading: it is closing or gone anyway
            while (!queue.offer(END)) {
                queue.poll();
            }
        }
    }

    @Override
    public Optional<Event> next() {
        return next(Duration.ofNanos(Long.MAX_VALUE));
    }

    @Override
    public synchronized Optional<Event> next(Duration timeout) {
        if (ended || closed) {
            return Optional.empty();
        }
        try {
            Item item = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            return switch (item) {
                case null -> Optional.empty();
                case Next n -> Optional.of(n.event());
                case End e -> {
                    ended = true;
                    yield Optional.empty();
                }
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            connection.close();
        } catch (RuntimeException ignored) {
            // already closed
        }
    }
}
