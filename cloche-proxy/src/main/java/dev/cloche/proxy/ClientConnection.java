package dev.cloche.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: requests are taken strictly one at a time (reading pauses from a request's head until its
 * answer is written; pipelined ones wait in the {@link FlowControlHandler} before this), routed by
 * {@link ProxyRoute}, and answered by the {@link ControlEndpoint} (on a virtual thread, since it blocks) or relayed
 * by this connection's {@link UpstreamRelay}. The connection is kept alive across requests unless the client asked
 * to close, and closed when idle between requests.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);

    private final ControlEndpoint endpoint;
    private final Environments envs;
    private final UpstreamConnections upstreams;
    private final ProxyConfig config;
    /** Where the proxy listens: the host of its URLs when a request names none. */
    private final Supplier<InetSocketAddress> listening;
    private final ProxyObserver observer;
    /** The current request: when its head arrived and its kind, for the observer; kind is null once observed. */
    private long requestStartNanos;
    private String requestKind;
    private Channel client;
    private UpstreamRelay relay;
    /** A request is being answered (from its head until its answer is written): never idle then. */
    private boolean inRequest;
    private boolean keepAlive;
    /** The client speaks HTTP/1.1: interim (1xx) answers may be relayed to it. */
    private boolean http11;

    ClientConnection(ControlEndpoint endpoint, Environments envs, UpstreamConnections upstreams, ProxyConfig config,
                     Supplier<InetSocketAddress> listening, ProxyObserver observer) {
        this.observer = observer;
        this.endpoint = endpoint;
        this.envs = envs;
        this.upstreams = upstreams;
        this.config = config;
        this.listening = listening;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        client = ctx.channel();
        relay = new UpstreamRelay(this, client, envs, upstreams, config.answerTimeout());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest req) {
            onRequest(req);
            if (msg instanceof HttpContent c) relay.content(c); // a full request
            return;
        }
        if (msg instanceof HttpContent c) {
            relay.content(c);
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    private void onRequest(HttpRequest req) {
        inRequest = true;
        requestStartNanos = System.nanoTime();
        requestKind = "control";
        keepAlive = HttpUtil.isKeepAlive(req);
        http11 = req.protocolVersion().equals(HttpVersion.HTTP_1_1);
        // one request at a time: the next (pipelined) one is read once this one's answer is written
        client.config().setAutoRead(false);
        if (!req.decoderResult().isSuccess()) {
            answer(Answer.text(400, "malformed request"));
            return;
        }
        switch (ProxyRoute.match(req.method().name(), req.uri())) {
            case ProxyRoute.Relay(String id, String target) -> {
                requestKind = "relay";
                switch (envs.lookup(id)) {
                    case Environments.Lookup.Live(Environment e) -> relay.start(req, e, target);
                    case Environments.Lookup.Starting s -> relay.startWhenReady(req, s, target, config.startingWait());
                    case Environments.Lookup other -> answer(Answer.missing(id, other));
                }
            }
            case ProxyRoute.Control route -> {
                String base = base(req);
                Thread.ofVirtual().start(() -> {
                    Answer a = endpoint.handle(route, base);
                    client.eventLoop().execute(() -> answer(a));
                });
            }
        }
    }

    private String base(HttpRequest req) {
        InetSocketAddress local = listening.get();
        return "http://" + req.headers().get(HttpHeaderNames.HOST, local.getHostString() + ":" + local.getPort());
    }

    /** Tells the observer of the current request's answer, once. */
    void observed(int status) {
        if (requestKind != null) {
            observer.answered(requestKind, status, System.nanoTime() - requestStartNanos);
            requestKind = null;
        }
    }

    boolean keepAlive() {
        return keepAlive;
    }

    boolean http11() {
        return http11;
    }

    /** An answer of the proxy's own: written, then the next request may be read (or the connection closed). */
    void answer(Answer a) {
        inRequest = false;
        observed(a.status());
        ByteBuf body = Unpooled.copiedBuffer(a.body(), StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(a.status()), body);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, a.contentType()).setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
        a.headers().forEach(r.headers()::set);
        if (!keepAlive) {
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            client.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        client.writeAndFlush(r).addListener((ChannelFutureListener) f -> client.config().setAutoRead(true));
    }

    /** The relayed answer ended with {@code lastWrite}: then the next request may be read (or the connection closed). */
    void relayed(ChannelFuture lastWrite, int status) {
        inRequest = false;
        observed(status);
        if (keepAlive) lastWrite.addListener((ChannelFutureListener) x -> client.config().setAutoRead(true));
        else lastWrite.addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        relay.clientWritable();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && !inRequest) {
            LOG.debug("closing an idle client connection from {}", client.remoteAddress());
            ctx.close();
            return;
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        relay.clientClosed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client connection failed: {}", cause.toString());
        ctx.close();
    }
}
