package dev.cloche.server;

import dev.cloche.api.Event;
import dev.cloche.api.EventSubscription;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The answer of {@code GET /events}: a chunked 200 of {@code application/x-ndjson} that stays open, one event per
 * line, each flushed as it comes. It ends when the subscription does (after a lost record, when the subscriber fell
 * behind) and the connection is then closed; when the client goes away the subscription is closed at once, so a
 * waiting writer wakes and nothing stays subscribed. A writer held by a full socket does not hold the publisher: the
 * hub cuts its subscription instead.
 */
final class EventStream {
    private EventStream() {}

    /** Runs off the event loop for as long as the stream lasts. */
    static void follow(Channel ch, Supplier<EventSubscription> subscribe, RequestLine line) {
        EventSubscription subscription;
        try {
            subscription = subscribe.get();
        } catch (RuntimeException e) {
            AnswerWriter.fail(ch, e, true, line, () -> { });
            return;
        }
        try (subscription) {
            ch.closeFuture().addListener(f -> subscription.close());
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set("Content-Type", "application/x-ndjson").set("Date", Http.date())
                    .set("Transfer-Encoding", "chunked").set("Connection", "close");
            ch.writeAndFlush(head);
            line.answered(200);
            Http.Writability gate = Http.Writability.of(ch);
            for (Optional<Event> e = subscription.next(); e.isPresent(); e = subscription.next()) {
                ch.writeAndFlush(new DefaultHttpContent(
                        Unpooled.copiedBuffer(EventEndpoint.line(e.get()), StandardCharsets.UTF_8)));
                if (!gate.awaitWritable(ch)) {
                    return; // the client went away
                }
            }
            if (ch.isActive()) {
                ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
