package dev.cloche.server;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts answers on a connection, from any thread: a whole {@link Answer} through the HTTP codec (or as the same raw
 * bytes once a hijacked route has removed it), a failure as its Garden error answer, a download as a chunked stream
 * that waits for the socket (backpressure), a stream of records likewise. {@code next} runs once the answer is out and the connection stays open.
 */
final class AnswerWriter {
    private static final Logger LOG = LoggerFactory.getLogger(AnswerWriter.class);
    private static final int STREAM_CHUNK = 64 * 1024;

    private AnswerWriter() {}

    static void write(Channel ch, Answer answer, boolean close, RequestLine line, Runnable next) {
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        if (ch.pipeline().get(GardenServer.HTTP) == null) {
            // already raw (a hijacked route failed before its head): same bytes, written by hand
            ch.writeAndFlush(Http.rawResponse(answer)).addListener(ChannelFutureListener.CLOSE);
            line.answered(answer.status());
            return;
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(answer.status()),
                Unpooled.wrappedBuffer(body));
        r.headers().set("Content-Type", answer.contentType());
        answer.headers().forEach(r.headers()::set);
        r.headers().set("Date", Http.date()).set("Content-Length", body.length);
        if (close) {
            r.headers().set("Connection", "close");
        }
        ch.writeAndFlush(r).addListener(close ? ChannelFutureListener.CLOSE : ok -> next.run());
        line.answered(answer.status());
    }

    static void fail(Channel ch, Throwable e, boolean close, RequestLine line, Runnable next) {
        GardenException ge = Answer.garden(e);
        if (!(ge instanceof GardenError) || ge.kind() == GardenException.Kind.INTERNAL) {
            LOG.debug("{} {} failed", line.method(), line.path(), e);
        }
        write(ch, Answer.error(ge), close, line, next);
    }

    /** Streams what {@code open} returns as a chunked 200; a failure before the first byte is an error answer. */
    static void download(Channel ch, Supplier<InputStream> open, boolean close, RequestLine line, Runnable next) {
        InputStream stream;
        byte[] buf = new byte[STREAM_CHUNK];
        int n;
        try {
            stream = open.get();
        } catch (RuntimeException e) {
            fail(ch, e, close, line, next);
            return;
        }
        try (InputStream in = stream) {
            try {
                n = in.read(buf);
            } catch (IOException | RuntimeException e) {
                fail(ch, e instanceof GardenException g ? g : GardenError.internal("stream out: " + e.getMessage(), e),
                        close, line, next);
                return;
            }
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set("Content-Type", "application/octet-stream").set("Date", Http.date())
                    .set("Transfer-Encoding", "chunked");
            if (close) {
                head.headers().set("Connection", "close");
            }
            ch.write(head);
            line.answered(200);
            Http.Writability gate = Http.Writability.of(ch);
            while (n >= 0) {
                if (n > 0) {
                    ch.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(buf, 0, n)));
                    if (!gate.awaitWritable(ch)) {
                        return;
                    }
                }
                n = in.read(buf);
            }
            ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(close ? ChannelFutureListener.CLOSE : ok -> next.run());
        } catch (IOException | RuntimeException e) {
            LOG.warn("stream out of {} failed after the first byte: {}", line.path(), e.toString());
            ch.close(); // the client sees a truncated tar, as with Go
        }
    }

    /**
     * Runs a route that answers with records ({@link Router.Records}) and streams them as a chunked 200 of
     * {@code application/x-ndjson}, each line flushed as it comes and the writer held while the socket is full. The
     * head goes out with the first line: a failure before it is an ordinary error answer, after it the route's
     * failure line ends the stream. A client that goes away stops the writing, not the call.
     */
    static void records(Channel ch, Router.Records r, String body, boolean close, RequestLine line, Runnable next) {
        RecordStream out = new RecordStream(ch, close, line);
        String last;
        try {
            last = r.call().run(body, out::emit);
        } catch (RuntimeException e) {
            if (!out.started) {
                fail(ch, e, close, line, next);
                return;
            }
            GardenException ge = Answer.garden(e);
            if (!(ge instanceof GardenError) || ge.kind() == GardenException.Kind.INTERNAL) {
                LOG.debug("{} {} failed after its first record", line.method(), line.path(), e);
            }
            last = r.failure().apply(ge);
        }
        out.emit(last);
        if (ch.isActive()) {
            ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(close ? ChannelFutureListener.CLOSE : ok -> next.run());
        }
    }

    /** The chunked answer of a {@link Router.Records} route; its head is written with the first line. */
    private static final class RecordStream {
        private final Channel ch;
        private final boolean close;
        private final RequestLine line;
        private final Http.Writability gate;
        private boolean started;

        RecordStream(Channel ch, boolean close, RequestLine line) {
            this.ch = ch;
            this.close = close;
            this.line = line;
            this.gate = Http.Writability.of(ch);
        }

        void emit(String record) {
            if (!started) {
                started = true;
                HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                head.headers().set("Content-Type", "application/x-ndjson").set("Date", Http.date())
                        .set("Transfer-Encoding", "chunked");
                if (close) {
                    head.headers().set("Connection", "close");
                }
                ch.write(head);
                line.answered(200);
            }
            if (!ch.isActive()) {
                return; // the caller is gone; the call runs on (a pull still lands in the store)
            }
            ch.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(record, StandardCharsets.UTF_8)));
            gate.awaitWritable(ch);
        }
    }
}
