package dev.cloche.web;

import dev.cloche.api.GardenClient;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection: turns each aggregated request into a {@link WebRequest}, answers it through the router on a
 * virtual thread (GardenClient calls block), one request at a time (reading pauses until the answer is written), and
 * hands a terminal's websocket upgrade, once its session and Origin pass, to a {@link TerminalSocket}.
 */
final class WebHttpHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(WebHttpHandler.class);
    /** No inline script, nothing from elsewhere, never in a frame; xterm.js sets inline styles. */
    private static final String CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            + "connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

    private final WebRouter router;
    private final GardenClient garden;
    private final boolean secure;

    WebHttpHandler(WebRouter router, GardenClient garden, boolean secure) {
        this.router = router;
        this.garden = garden;
        this.secure = secure;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        if (!req.decoderResult().isSuccess()) {
            write(ctx, WebJson.error(400, "INVALID_REQUEST", "malformed HTTP request"), false);
            return;
        }
        WebRequest r = toWebRequest(req);
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (r.header("upgrade").equalsIgnoreCase("websocket")) {
            upgrade(ctx, req, r);
            return;
        }
        ctx.channel().config().setAutoRead(false);
        Thread.ofVirtual().name("web-request").start(() -> {
            WebAnswer answer = router.handle(r, secure);
            write(ctx, answer, keepAlive);
        });
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest req, WebRequest r) {
        Optional<TerminalSocket.Target> target = TerminalSocket.Target.parse(r);
        if (target.isEmpty()) {
            write(ctx, WebJson.error(404, "NOT_FOUND", "no websocket at " + r.path()), false);
            return;
        }
        if (router.socketSession(r, secure).isEmpty()) {
            write(ctx, WebJson.error(403, "FORBIDDEN", "a terminal needs a session and this server's own Origin"), false);
            return;
        }
        String url = (secure ? "wss://" : "ws://") + r.header("host") + r.path();
        WebSocketServerHandshaker handshaker = new WebSocketServerHandshakerFactory(url, null, false, 1 << 20)
                .newHandshaker(req);
        if (handshaker == null) {
            WebSocketServerHandshakerFactory.sendUnsupportedVersionResponse(ctx.channel());
            return;
        }
        ctx.pipeline().remove("aggregate");
        ctx.pipeline().addLast("ws-aggregate", new WebSocketFrameAggregator(1 << 20));
        ctx.pipeline().addLast("terminal", new TerminalSocket(garden, target.get()));
        ctx.pipeline().remove(this);
        handshaker.handshake(ctx.channel(), req);
    }

    private static WebRequest toWebRequest(FullHttpRequest req) {
        // a ";" is part of a value (a shell command), not a separator
        QueryStringDecoder q = new QueryStringDecoder(req.uri(), StandardCharsets.UTF_8, true, 1024, true);
        Map<String, String> headers = new HashMap<>();
        req.headers().forEach(h -> headers.merge(h.getKey().toLowerCase(Locale.ROOT), h.getValue(), (a, b) -> a + "; " + b));
        return new WebRequest(req.method().name(), q.path(), q.parameters(), headers, ByteBufUtil.getBytes(req.content()));
    }

    private void write(ChannelHandlerContext ctx, WebAnswer answer, boolean keepAlive) {
        HttpResponseStatus status = HttpResponseStatus.valueOf(answer.status());
        switch (answer) {
            case WebAnswer.Full f -> {
                FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(f.body()));
                headers(res, answer, keepAlive);
                HttpUtil.setContentLength(res, f.body().length);
                finish(ctx, ctx.writeAndFlush(res), keepAlive);
            }
            case WebAnswer.Streamed s -> stream(ctx, s, status, keepAlive);
        }
    }

    /** A streamed body, chunk by chunk, each written before the next is read (backpressure for a large tar). */
    private void stream(ChannelHandlerContext ctx, WebAnswer.Streamed s, HttpResponseStatus status, boolean keepAlive) {
        HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        headers(res, s, keepAlive);
        HttpUtil.setTransferEncodingChunked(res, true);
        ctx.writeAndFlush(res);
        try (InputStream in = s.body()) {
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0) {
                ctx.writeAndFlush(new DefaultHttpContent(Unpooled.copiedBuffer(buf, 0, n))).syncUninterruptibly();
            }
            finish(ctx, ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT), keepAlive);
        } catch (IOException | RuntimeException e) {
            // the status is gone already: cutting the chunked body short is how the browser learns it failed
            log.warn("web download failed midway", e);
            ctx.close();
        }
    }

    private void headers(HttpResponse res, WebAnswer answer, boolean keepAlive) {
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, answer.contentType())
                .set("Content-Security-Policy", CSP)
                .set("X-Frame-Options", "DENY")
                .set("X-Content-Type-Options", "nosniff")
                .set("Referrer-Policy", "no-referrer")
                .set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        if (secure) {
            res.headers().set("Strict-Transport-Security", "max-age=31536000");
        }
        answer.headers().forEach((k, v) -> res.headers().add(k, v));
        if (keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        }
    }

    private static void finish(ChannelHandlerContext ctx, io.netty.channel.ChannelFuture written, boolean keepAlive) {
        if (keepAlive) {
            written.addListener(f -> {
                ctx.channel().config().setAutoRead(true);
                ctx.read();
            });
        } else {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("web connection failed", cause);
        ctx.close();
    }
}
