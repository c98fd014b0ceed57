package dev.cloche.proxy;

import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.util.List;

/**
 * The head a request or answer has on the other side of the proxy: hop-by-hop headers (RFC 9110 §7.6.1) never go
 * through as they are; a request gets its environment's target and host, and the {@code X-Forwarded-*} headers; an
 * answer gets the client's framing.
 * Pure: changes the head it is given in place.
 */
final class ForwardedHead {
    /** Hop-by-hop headers: never forwarded as they are. */
    static final List<CharSequence> HOP = List.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE, "proxy-connection");
    private static final CharSequence X_FORWARDED_FOR = "x-forwarded-for";
    private static final CharSequence X_FORWARDED_PROTO = "x-forwarded-proto";
    private static final CharSequence X_FORWARDED_HOST = "x-forwarded-host";

    private ForwardedHead() {}

    /** Whether {@code req} asks for a protocol switch ({@code Connection: upgrade} and an {@code Upgrade}). */
    static boolean upgrade(HttpRequest req) {
        return req.headers().contains(HttpHeaderNames.UPGRADE)
                && req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true);
    }

    /**
     * Rewrites {@code req} for {@code e} as {@code target}, from a client at {@code clientIp}; a protocol switch it
     * asks for ({@code upgrade}) is kept.
     */
    static void request(HttpRequest req, Environment e, String target, String clientIp, boolean upgrade) {
        HttpHeaders h = req.headers();
        String upgradeTo = upgrade ? h.get(HttpHeaderNames.UPGRADE) : null;
        String originalHost = h.get(HttpHeaderNames.HOST);
        removeHopByHop(h);
        req.setUri(target);
        String xff = h.get(X_FORWARDED_FOR);
        h.set(X_FORWARDED_FOR, xff == null ? clientIp : xff + ", " + clientIp);
        h.set(X_FORWARDED_PROTO, "http");
        if (originalHost != null && !originalHost.isEmpty()) h.set(X_FORWARDED_HOST, originalHost);
        h.set(HttpHeaderNames.HOST, e.host() + ":" + e.port());
        if (upgradeTo != null) {
            h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            h.set(HttpHeaderNames.UPGRADE, upgradeTo);
        }
    }

    /**
     * Rewrites the answer head {@code r} for a client that keeps its connection alive or not ({@code clientKeepAlive});
     * an answer the server ends by closing is sent to the client chunked. True when the server's connection can carry
     * another request after this answer (it framed the body and did not ask to close).
     */
    static boolean answer(HttpResponse r, boolean clientKeepAlive) {
        int status = r.status().code();
        boolean bodyless = status == 204 || status == 304 || status < 200;
        boolean length = HttpUtil.isContentLengthSet(r);
        boolean chunked = HttpUtil.isTransferEncodingChunked(r);
        boolean reusable = HttpUtil.isKeepAlive(r) && (bodyless || length || chunked);
        removeHopByHop(r.headers());
        if (!bodyless && !length && !chunked) HttpUtil.setTransferEncodingChunked(r, true);
        if (!clientKeepAlive) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        return reusable;
    }

    /** An interim answer ({@code 1xx}) as a head of its own for the client. */
    static FullHttpResponse interim(HttpResponse r) {
        FullHttpResponse interim = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status());
        interim.headers().set(r.headers());
        removeHopByHop(interim.headers());
        return interim;
    }

    static void removeHopByHop(HttpHeaders h) {
        for (CharSequence name : HOP) h.remove(name);
    }
}
