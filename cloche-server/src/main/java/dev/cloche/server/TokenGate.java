package dev.cloche.server;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * Between the HTTP codec and the Garden handler on a listener that requires a {@link BearerToken}: a request
 * without the token never reaches a route (hijacked ones included, since Run, Attach and the output streams start
 * as HTTP requests). It is answered 401 with {@code WWW-Authenticate: Bearer} and the same short body whatever it
 * asked for (nothing is said about what exists), logged as a refusal, and its connection closed; whatever the
 * client sent after it on that connection is dropped.
 */
final class TokenGate extends ChannelInboundHandlerAdapter {
    static final String NAME = "token";
    private static final byte[] BODY = "unauthorized\n".getBytes(StandardCharsets.US_ASCII);

    private final BearerToken token;
    private boolean refused;

    TokenGate(BearerToken token) {
        this.token = token;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (refused) {
            ReferenceCountUtil.release(msg);
            return;
        }
        if (msg instanceof HttpRequest req
                && !token.admits(Optional.ofNullable(req.headers().get(HttpHeaderNames.AUTHORIZATION)))) {
            refused = true;
            ctx.channel().config().setAutoRead(false);
            String why = req.headers().contains(HttpHeaderNames.AUTHORIZATION) ? "wrong bearer token" : "no bearer token";
            Refusals.request(GardenServer.caller(ctx.channel()), req.method().name(), req.uri(), 401, why);
            ReferenceCountUtil.release(msg);
            ctx.writeAndFlush(unauthorized()).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        // a granted request's body, and the raw bytes of a hijacked connection, pass untouched
        ctx.fireChannelRead(msg);
    }

    private static FullHttpResponse unauthorized() {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.UNAUTHORIZED,
                Unpooled.wrappedBuffer(BODY));
        r.headers().set(HttpHeaderNames.WWW_AUTHENTICATE, "Bearer")
                .set(HttpHeaderNames.CONTENT_TYPE, Answer.TEXT)
                .set(HttpHeaderNames.CONTENT_LENGTH, BODY.length)
                .set(HttpHeaderNames.CONNECTION, "close")
                .set(HttpHeaderNames.DATE, Http.date());
        return r;
    }
}
