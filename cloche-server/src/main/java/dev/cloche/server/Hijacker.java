package dev.cloche.server;

import dev.cloche.wire.Route;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LineBasedFrameDecoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executor;

/**
 * The one place where connections leave HTTP. A Run or Attach becomes a {@link ProcessConnection} (NDJSON both ways,
 * Garden's connection A); a stdout or stderr GET becomes the raw stream its {@link StreamRegistry.Sink} writes to.
 * The codec is removed inside the decoder's callback, so bytes the client pipelined after the request reach the
 * raw handler instead of being parsed as HTTP.
 */
final class Hijacker {
    private final GardenEndpoint garden;
    private final StreamRegistry registry;
    private final Executor executor;

    Hijacker(GardenEndpoint garden, StreamRegistry registry, Executor executor) {
        this.garden = garden;
        this.registry = registry;
        this.executor = executor;
    }

    /** Called with the HTTP handler's context once the request's body is complete; that handler is removed. */
    void hijack(ChannelHandlerContext ctx, Route.Found f, byte[] body, RequestLine line) {
        switch (f.route()) {
            case RUN, ATTACH -> process(ctx, f, body, line);
            case STDOUT, STDERR -> stream(ctx, f, line);
            default -> throw new IllegalStateException("not a hijacked route: " + f.route());
        }
    }

    /** Run/Attach: leave HTTP now (pipelined stdin must not reach the HTTP decoder), then start on a virtual thread. */
    private void process(ChannelHandlerContext ctx, Route.Found f, byte[] body, RequestLine line) {
        GardenEndpoint.ProcessStart start;
        try {
            start = garden.processStart(f, new String(body, StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            // leave HTTP first: a typed error needs Content-Length and no Connection: close (§7.6), and any
            // pipelined stdin must not be parsed as the next request
            ctx.pipeline().addAfter(GardenServer.HTTP, "discard", new StreamRegistry.StreamConnection());
            leaveHttp(ctx);
            AnswerWriter.fail(ctx.channel(), e, true, line, () -> { });
            return;
        }
        ProcessConnection conn = new ProcessConnection(garden, start, registry, line);
        ChannelPipeline p = ctx.pipeline();
        p.addAfter(GardenServer.HTTP, "lines", new LineBasedFrameDecoder(64 * 1024 * 1024));
        p.addAfter("lines", "process", conn);
        leaveHttp(ctx);
        conn.begin(ctx.channel(), line.bound(executor));
    }

    /** stdout/stderr: 200 head, then the sink writes raw bytes and closes when the output ends. */
    private void stream(ChannelHandlerContext ctx, Route.Found f, RequestLine line) {
        Channel ch = ctx.channel();
        ctx.pipeline().addAfter(GardenServer.HTTP, "stream", new StreamRegistry.StreamConnection());
        leaveHttp(ctx);
        StreamRegistry.Kind kind = f.route() == Route.STDOUT ? StreamRegistry.Kind.STDOUT : StreamRegistry.Kind.STDERR;
        ch.writeAndFlush(Http.hijackHead(200, "OK", false));
        line.answered(200);
        boolean claimed = registry.get(f.param("streamid")).map(e -> e.sink(kind).claim(ch)).orElse(false);
        if (!claimed) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE); // unknown: empty output
        }
    }

    /** Removes the HTTP handler and then the codec, whose buffered input flows to the raw handlers added after it. */
    private static void leaveHttp(ChannelHandlerContext ctx) {
        ChannelPipeline p = ctx.pipeline();
        p.remove(ctx.handler());
        p.remove(GardenServer.HTTP);
    }
}
