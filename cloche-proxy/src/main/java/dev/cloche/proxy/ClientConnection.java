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
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection: requests are taken strictly one at a time (a pipelined one waits in this connection's
 * backlog until the answer before it is written; reading stops while the backlog is full), routed by
 * {@link ProxyRoute}, and answered by the {@link ControlEndpoint} (on a virtual thread, since it blocks) or relayed
 * by this connection's {@link UpstreamRelay}. Reading stays on between requests unless something holds it off
 * ({@link ReadGate}). The connection is kept alive across requests unless the client asked to close, and closed when
 * idle between requests.
 */
final class ClientConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ClientConnection.class);
    /** Decoded parts of pipelined requests held behind the current one before reading stops. */
    private static final int BACKLOG = 64;

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
    private ReadGate gate;
    private UpstreamRelay relay;
    /** Parts of requests that arrived while the one before them was being answered, in order. */
    private final ArrayDeque<Object> backlog = new ArrayDeque<>();
    /** The current request's body is still arriving: contents belong to it, not to a request behind it. */
    private boolean bodyOpen;
    /** The backlog is being taken up: an answer written meanwhile does not take it up again. */
    private boolean resuming;
    /** The current request asks for a protocol switch: once its body is in, nothing more is read until its answer. */
    private boolean switching;
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
        gate = new ReadGate(client.config());
        relay = new UpstreamRelay(this, client, gate, envs, upstreams, config.answerTimeout());
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!backlog.isEmpty()) {
            queue(msg);
            return;
        }
        take(msg);
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        relay.clientReadComplete();
        ctx.fireChannelReadComplete();
    }

    /** One decoded part: the current request's body, a new request, or one that waits for the current answer. */
    private void take(Object msg) {
        if (msg instanceof HttpContent c && bodyOpen) {
            bodyOpen = !(c instanceof LastHttpContent);
            relay.content(c);
            if (!bodyOpen) bodyIn();
            return;
        }
        if (msg instanceof HttpRequest req) {
            if (inRequest) {
                queue(msg); // pipelined: answered once the answer before it is written
                return;
            }
            bodyOpen = !(msg instanceof LastHttpContent);
            onRequest(req);
            if (msg instanceof HttpContent c) relay.content(c); // a full request
            if (!bodyOpen) bodyIn();
            return;
        }
        ReferenceCountUtil.release(msg);
    }

    /** The current request's body is in: after a protocol switch's request, what follows is not HTTP. */
    private void bodyIn() {
        if (switching) gate.hold(ReadGate.Reason.SWITCH);
    }

    private void queue(Object msg) {
        backlog.add(msg);
        if (backlog.size() >= BACKLOG) gate.hold(ReadGate.Reason.BACKLOG);
    }

    /** The answer is written: requests waiting behind it are taken up, until one of them is in flight with its body. */
    private void resume() {
        relay.requestOver();
        switching = false;
        gate.release(ReadGate.Reason.SWITCH);
        if (resuming) return;
        resuming = true;
        try {
            // a request taken up may be answered at once; its body's parts follow it out of the backlog
            while (!backlog.isEmpty() && client.isActive() && (!inRequest || bodyOpen && backlog.peek() instanceof HttpContent)) {
                take(backlog.poll());
            }
        } finally {
            resuming = false;
        }
        relay.clientReadComplete(); // what the backlog gave of a body goes upstream now, not at the next read
        if (backlog.size() < BACKLOG) gate.release(ReadGate.Reason.BACKLOG);
    }

    private void onRequest(HttpRequest req) {
        inRequest = true;
        requestStartNanos = System.nanoTime();
        requestKind = "control";
        keepAlive = HttpUtil.isKeepAlive(req);
        http11 = req.protocolVersion().equals(HttpVersion.HTTP_1_1);
        // what follows a protocol switch's request (and its body) is not HTTP until its answer says it did not switch
        switching = ForwardedHead.upgrade(req);
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
        client.writeAndFlush(r).addListener((ChannelFutureListener) f -> resume());
    }

    /** The relayed answer ended with {@code lastWrite}: then the next request may be read (or the connection closed). */
    void relayed(ChannelFuture lastWrite, int status) {
        inRequest = false;
        observed(status);
        if (keepAlive) lastWrite.addListener((ChannelFutureListener) x -> resume());
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
        dropBacklog();
    }

    /** Removed when the connection becomes a tunnel: what waited as HTTP was not. */
    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        dropBacklog();
    }

    private void dropBacklog() {
        while (!backlog.isEmpty()) ReferenceCountUtil.release(backlog.poll());
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("client connection failed: {}", cause.toString());
        ctx.close();
    }
}
