package dev.cloche.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpDecoderConfig;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.ReferenceCountUtil;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The HTTP edge (Netty): {@code /demo/new}, {@code /demo}, {@code /demo/{id}} are answered here, everything under
 * {@code /demo/{id}/} is relayed to the environment's server without aggregating bodies (back-pressure by toggling
 * auto-read), and a {@code 101 Switching Protocols} from upstream turns both connections into a raw byte tunnel.
 * Upstream connections are kept alive per client connection: the next request of the same client to the same
 * environment reuses the connection when the server framed its answer and did not ask to close (a GET or HEAD that
 * meets a reused connection closing under it is sent once more on a new one); the client's connection stays alive
 * across requests, and its requests
 * are handled strictly one after another (pipelined ones wait in a {@link FlowControlHandler} while reading is off).
 * When an environment ends, its upstream connections (requests in flight, websocket tunnels) are closed at once.
 */
final class ProxyServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ProxyServer.class);
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final Pattern ENV = Pattern.compile("^/demo/([0-9a-f]{1,32})(/.*)?$");
    /** Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded as they are. */
    private static final List<CharSequence> HOP = List.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE, "proxy-connection");

    private final Environments envs;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final Channel server;
    /** Open upstream connections per environment id: closed when the environment ends. */
    private final Map<String, Set<Channel>> upstreams = new ConcurrentHashMap<>();

    private final ProxyConfig config;

    ProxyServer(Environments envs, ProxyConfig config) {
        this.envs = envs;
        this.config = config;
        InetSocketAddress listen = config.listen();
        envs.onEnd(this::closeUpstreams);
        try {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast("idle", new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                                    .addLast("http", new HttpServerCodec()).addLast("flow", new FlowControlHandler())
                                    .addLast("front", new Frontend());
                        }
                    }).bind(listen).sync().channel();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            group.shutdownGracefully();
            throw new IllegalStateException("interrupted while binding " + listen, e);
        } catch (RuntimeException e) {
            group.shutdownGracefully();
            throw new IllegalStateException("cannot listen on " + listen + ": " + e.getMessage(), e);
        }
    }

    private void track(String id, Channel up) {
        upstreams.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(up);
        up.closeFuture().addListener(f -> upstreams.computeIfPresent(id, (k, s) -> {
            s.remove(up);
            return s.isEmpty() ? null : s;
        }));
    }

    private void closeUpstreams(String id) {
        Set<Channel> open = upstreams.remove(id);
        if (open != null) open.forEach(Channel::close);
    }

    /** Upstream connections open now, for tests. */
    int openUpstreams() {
        return upstreams.values().stream().mapToInt(Set::size).sum();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }

    private static FullHttpResponse text(int status, String body) {
        return respond(status, "text/plain; charset=utf-8", body + "\n");
    }

    private static FullHttpResponse json(int status, Object value) {
        return respond(status, "application/json", JSON.writeValueAsString(value) + "\n");
    }

    private static FullHttpResponse respond(int status, String type, String body) {
        ByteBuf b = Unpooled.copiedBuffer(body, StandardCharsets.UTF_8);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status), b);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, type).setInt(HttpHeaderNames.CONTENT_LENGTH, b.readableBytes());
        return r;
    }

    static Map<String, Object> describe(Environment e, String base) {
        return Map.of("id", e.id(), "template", e.template(), "url", base + "/demo/" + e.id() + "/",
                "created", e.created().toString(), "expires", e.expires().toString());
    }

    /** One client connection: requests are handled one at a time (reading pauses until the answer is written). */
    private final class Frontend extends ChannelInboundHandlerAdapter {
        private Channel client;
        private Channel upstream;
        /** A request is being answered (from its head until its answer is written): never idle then. */
        private boolean inRequest;
        /** Fires 504 when the environment's server has not begun its answer in time after the whole request. */
        private ScheduledFuture<?> answerTimer;
        /** The environment the current request goes to. */
        private String envId = "";
        private Environment env;
        /** The current request's head as forwarded, for the one retry of a GET/HEAD on a reused connection. */
        private HttpRequest head;
        private long bodyBytes;
        /** The current request went out on a kept-alive connection. */
        private boolean reused;
        /** The current answer is framed and the server did not ask to close: its connection can carry another request. */
        private boolean upstreamReusable;
        /** A kept-alive upstream connection with no request on it, and the environment it leads to. */
        private Channel idle;
        private String idleEnv = "";
        /** Request parts that arrived before the upstream connection was up. */
        private final Queue<HttpObject> pending = new ArrayDeque<>();
        private boolean proxying;
        /** The proxied request's body has been forwarded in full: reading stays off until the answer is complete. */
        private boolean requestDone;
        private boolean keepAlive;
        /** The client speaks HTTP/1.1: interim (1xx) answers may be relayed to it. */
        private boolean http11;
        private boolean responseStarted;
        private boolean tunnel;

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            client = ctx.channel();
            ctx.fireChannelActive();
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (msg instanceof HttpRequest req) {
                onRequest(ctx, req);
                if (msg instanceof HttpContent c) onContent(c); // a full request
                return;
            }
            if (msg instanceof HttpContent c) {
                onContent(c);
                return;
            }
            ReferenceCountUtil.release(msg);
        }

        private void onRequest(ChannelHandlerContext ctx, HttpRequest req) {
            inRequest = true;
            keepAlive = HttpUtil.isKeepAlive(req);
            http11 = req.protocolVersion().equals(HttpVersion.HTTP_1_1);
            responseStarted = false;
            // one request at a time: the next (pipelined) one is read once this one's answer is written
            client.config().setAutoRead(false);
            if (!req.decoderResult().isSuccess()) {
                answer(text(400, "malformed request"));
                return;
            }
            String path = req.uri().split("\\?", 2)[0];
            Matcher m = ENV.matcher(path);
            if (path.equals("/demo/new")) {
                String template = query(req.uri(), "template");
                HttpMethod method = req.method();
                client.config().setAutoRead(false);
                Thread.ofVirtual().start(() -> {
                    FullHttpResponse r;
                    try {
                        Environment e = envs.create(template.isEmpty() ? envs.defaultTemplate() : template);
                        String base = base(req);
                        if (method.equals(HttpMethod.GET)) {
                            r = respond(303, "text/plain; charset=utf-8", "see /demo/" + e.id() + "/\n");
                            r.headers().set(HttpHeaderNames.LOCATION, "/demo/" + e.id() + "/");
                        } else {
                            r = json(201, describe(e, base));
                            r.headers().set(HttpHeaderNames.LOCATION, "/demo/" + e.id() + "/");
                        }
                    } catch (ProxyError e) {
                        r = text(e.status(), e.getMessage());
                    } catch (RuntimeException e) {
                        LOG.warn("creating an environment failed", e);
                        r = text(500, "internal error: " + e.getMessage());
                    }
                    FullHttpResponse answer = r;
                    client.eventLoop().execute(() -> answer(answer));
                });
            } else if (path.equals("/demo") || path.equals("/demo/")) {
                String base = base(req);
                answer(json(200, envs.list().stream().map(e -> describe(e, base)).toList()));
            } else if (m.matches() && m.group(2) == null) {
                String id = m.group(1);
                if (req.method().equals(HttpMethod.DELETE)) {
                    answer(envs.end(id, "deleted") ? respond(204, "text/plain", "") : missing(id));
                } else if (envs.lookup(id) instanceof Environments.Lookup.Live(Environment e)) {
                    answer(json(200, describe(e, base(req))));
                } else {
                    answer(missing(id));
                }
            } else if (m.matches()) {
                switch (envs.lookup(m.group(1))) {
                    case Environments.Lookup.Live(Environment e) -> proxy(ctx, req, e, m.group(2));
                    default -> answer(missing(m.group(1)));
                }
            } else {
                answer(text(404, "not found: " + path + " (try POST /demo/new)"));
            }
        }

        private FullHttpResponse missing(String id) {
            return envs.lookup(id) instanceof Environments.Lookup.Gone
                    ? text(410, "environment " + id + " has ended") : text(404, "no environment " + id);
        }

        private String base(HttpRequest req) {
            String host = req.headers().get(HttpHeaderNames.HOST, address().getHostString() + ":" + address().getPort());
            return "http://" + host;
        }

        private void onContent(HttpContent c) {
            if (!proxying) {
                c.release(); // a body sent to one of our own endpoints: not used
                return;
            }
            if (upstream == null || !upstream.isActive()) {
                pending.add(c);
                return;
            }
            forward(c);
        }

        private void forward(HttpObject o) {
            if (o instanceof HttpContent c) bodyBytes += c.content().readableBytes();
            upstream.writeAndFlush(o);
            if (o instanceof LastHttpContent) {
                requestDone = true;
                armAnswerTimer();
                // one request at a time: read the next only once this answer is complete
                client.config().setAutoRead(false);
            } else if (!upstream.isWritable()) {
                client.config().setAutoRead(false);
            }
        }

        private void proxy(ChannelHandlerContext ctx, HttpRequest req, Environment e, String rest) {
            proxying = true;
            requestDone = false;
            envId = e.id();
            env = e;
            head = req;
            bodyBytes = 0;
            reused = false;
            client.config().setAutoRead(false);
            boolean upgrade = req.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                    && req.headers().contains(HttpHeaderNames.UPGRADE);
            String upgradeTo = req.headers().get(HttpHeaderNames.UPGRADE);
            String originalHost = req.headers().get(HttpHeaderNames.HOST, "");
            for (CharSequence h : HOP) req.headers().remove(h);
            String uri = req.uri();
            int q = uri.indexOf('?');
            req.setUri(rest + (q >= 0 ? uri.substring(q) : ""));
            HttpHeaders h = req.headers();
            String clientIp = ((InetSocketAddress) client.remoteAddress()).getAddress().getHostAddress();
            String xff = h.get("x-forwarded-for");
            h.set("x-forwarded-for", xff == null ? clientIp : xff + ", " + clientIp);
            h.set("x-forwarded-proto", "http");
            if (!originalHost.isEmpty()) h.set("x-forwarded-host", originalHost);
            h.set(HttpHeaderNames.HOST, e.host() + ":" + e.port());
            if (upgrade) {
                h.set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
                h.set(HttpHeaderNames.UPGRADE, upgradeTo);
            }
            pending.add(req);
            if (idle != null) {
                Channel kept = idle;
                idle = null;
                if (!upgrade && idleEnv.equals(e.id()) && kept.isActive()) {
                    reused = true;
                    kept.pipeline().get(Backend.class).reset();
                    send(kept);
                    return;
                }
                kept.close();
            }
            connect(e);
        }

        private void connect(Environment e) {
            new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                    .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                    .handler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            // lenient towards servers: busybox httpd's CGI answers end header lines in a bare LF
                            ch.pipeline().addLast("http", new HttpClientCodec(new HttpDecoderConfig().setStrictLineParsing(false), false, false))
                                    .addLast("back", new Backend(Frontend.this));
                        }
                    }).connect(e.host(), e.port()).addListener((ChannelFutureListener) f -> {
                        if (!f.isSuccess()) {
                            drainPending();
                            answer(text(502, "environment " + e.id() + " does not answer: " + f.cause().getMessage()));
                            return;
                        }
                        track(e.id(), f.channel());
                        if (!(envs.lookup(e.id()) instanceof Environments.Lookup.Live)) {
                            // it ended while we connected: its end closed nothing of ours yet
                            f.channel().close();
                            drainPending();
                            answer(missing(e.id()));
                            return;
                        }
                        send(f.channel());
                    });
        }

        /** Sends what arrived of the request on {@code up}; the rest of the body follows as it arrives. */
        private void send(Channel up) {
            upstream = up;
            boolean last = false;
            while (!pending.isEmpty()) {
                HttpObject o = pending.poll();
                last |= o instanceof LastHttpContent;
                if (o instanceof HttpContent c) bodyBytes += c.content().readableBytes();
                upstream.write(o);
            }
            requestDone = last;
            upstream.flush();
            if (last) armAnswerTimer();
            else client.config().setAutoRead(true); // the body streams on from here
        }

        private void armAnswerTimer() {
            Channel up = upstream;
            String id = envId;
            answerTimer = client.eventLoop().schedule(() -> {
                if (!proxying || responseStarted || upstream != up) return;
                upstream = null; // its close is no longer this request's failure
                up.close();
                answer(text(504, "environment " + id + ": its server did not answer within "
                        + config.answerTimeout().toSeconds() + " s"));
            }, config.answerTimeout().toMillis(), TimeUnit.MILLISECONDS);
        }

        private void cancelAnswerTimer() {
            if (answerTimer != null) answerTimer.cancel(false);
            answerTimer = null;
        }

        private void drainPending() {
            while (!pending.isEmpty()) ReferenceCountUtil.release(pending.poll());
        }

        /** An answer of our own (or an error): written, then the next request may be read (or the connection closed). */
        private void answer(FullHttpResponse r) {
            proxying = false;
            inRequest = false;
            cancelAnswerTimer();
            if (!keepAlive) {
                r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
                client.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
                return;
            }
            client.writeAndFlush(r).addListener((ChannelFutureListener) f -> client.config().setAutoRead(true));
        }

        /**
         * An interim answer ({@code 100 Continue}, {@code 103 Early Hints}): relayed to an HTTP/1.1 client as a head of
         * its own; the real answer follows on the same connection.
         */
        void upstreamInterim(HttpResponse r) {
            if (!http11) return;
            FullHttpResponse interim = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status());
            interim.headers().set(r.headers());
            for (CharSequence h : HOP) interim.headers().remove(h);
            client.writeAndFlush(interim);
        }

        /** Upstream's answer head: hop-by-hop headers replaced with ours, or a protocol switch. */
        void upstreamResponse(HttpResponse r) {
            responseStarted = true;
            cancelAnswerTimer();
            if (r.status().code() == 101) {
                tunnel = true;
                client.writeAndFlush(r).addListener((ChannelFutureListener) f -> becomeTunnel());
                return;
            }
            boolean bodyless = r.status().code() == 204 || r.status().code() == 304 || r.status().code() < 200;
            upstreamReusable = HttpUtil.isKeepAlive(r)
                    && (bodyless || HttpUtil.isContentLengthSet(r) || HttpUtil.isTransferEncodingChunked(r));
            for (CharSequence h : HOP) r.headers().remove(h);
            if (!bodyless && !HttpUtil.isContentLengthSet(r) && !HttpUtil.isTransferEncodingChunked(r)) {
                HttpUtil.setTransferEncodingChunked(r, true); // upstream ends its body by closing; we keep ours alive
            }
            if (!keepAlive) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
            client.writeAndFlush(r);
        }

        void upstreamContent(HttpContent c) {
            boolean last = c instanceof LastHttpContent;
            ChannelFuture f = client.writeAndFlush(c);
            if (last) {
                proxying = false;
                inRequest = false;
                Channel up = upstream;
                upstream = null;
                // a request whose body was not sent in full leaves the connection in an unknown state
                if (upstreamReusable && requestDone && up.isActive()) {
                    idle = up;
                    idleEnv = envId;
                    up.config().setAutoRead(true); // so its close is noticed while it waits
                } else {
                    up.close();
                }
                if (keepAlive) f.addListener((ChannelFutureListener) x -> client.config().setAutoRead(true));
                else f.addListener(ChannelFutureListener.CLOSE);
            } else if (!client.isWritable()) {
                upstream.config().setAutoRead(false);
            }
        }

        /** The upstream connection ended or failed before its answer was complete. */
        void upstreamFailed(String why) {
            if (tunnel) {
                client.close();
                return;
            }
            if (!proxying) return;
            HttpMethod m = head.method();
            if (!responseStarted && reused && requestDone && bodyBytes == 0 && (m.equals(HttpMethod.GET) || m.equals(HttpMethod.HEAD))) {
                // the kept-alive connection was closed by the server as we sent: once more on a new connection
                LOG.debug("retrying {} {} on a new connection to {}: {}", m, head.uri(), envId, why);
                reused = false;
                upstream = null;
                cancelAnswerTimer();
                drainPending();
                pending.add(head);
                pending.add(LastHttpContent.EMPTY_LAST_CONTENT);
                connect(env);
                return;
            }
            proxying = false;
            upstream = null;
            drainPending();
            if (!responseStarted) {
                answer(envs.lookup(envId) instanceof Environments.Lookup.Live
                        ? text(502, "the environment's server failed: " + why) : missing(envId));
            } else {
                client.close(); // half an answer was sent: closing is the only honest end
            }
        }

        private void becomeTunnel() {
            Channel up = upstream;
            client.pipeline().remove("front");
            client.pipeline().addLast("tunnel", new Relay(up));
            client.pipeline().remove("flow"); // hands what it held (the request's empty end) to the relay, which drops it
            client.pipeline().remove("http");
            client.pipeline().remove("idle"); // a websocket may be quiet for long; it ends with either side or the TTL
            up.pipeline().remove("back");
            up.pipeline().addLast("tunnel", new Relay(client));
            up.pipeline().remove("http");
            client.config().setAutoRead(true);
            up.config().setAutoRead(true);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (upstream != null && client.isWritable()) upstream.config().setAutoRead(true);
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
            drainPending();
            cancelAnswerTimer();
            if (upstream != null) upstream.close();
            if (idle != null) idle.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("client connection failed: {}", cause.toString());
            ctx.close();
        }
    }

    private static String query(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) return "";
        for (String kv : uri.substring(q + 1).split("&")) {
            String[] p = kv.split("=", 2);
            if (p[0].equals(name) && p.length == 2) return java.net.URLDecoder.decode(p[1], StandardCharsets.UTF_8);
        }
        return "";
    }

    /** The upstream side of one proxied request. */
    private static final class Backend extends ChannelInboundHandlerAdapter {
        private final Frontend front;
        private boolean done;
        private boolean switched;
        /** An interim (1xx) head was relayed: the decoder's empty end that follows it is not the answer's end. */
        private boolean interim;

        Backend(Frontend front) {
            this.front = front;
        }

        /** A kept-alive connection takes its next request. */
        void reset() {
            done = false;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!switched && front.upstream != ctx.channel()) {
                ReferenceCountUtil.release(msg); // an idle connection has nothing to say: whatever it sends ends it
                ctx.close();
                return;
            }
            if (switched) {
                ReferenceCountUtil.release(msg); // the codec's empty end of the 101: the tunnel takes over from here
                return;
            }
            if (interim && msg instanceof LastHttpContent c) {
                interim = false;
                c.release();
                return;
            }
            if (msg instanceof HttpResponse r && r.decoderResult().isSuccess() && r.status().codeClass() == HttpStatusClass.INFORMATIONAL
                    && r.status().code() != 101) {
                interim = true;
                front.upstreamInterim(r);
                return;
            }
            if (msg instanceof HttpResponse r) {
                if (!r.decoderResult().isSuccess()) {
                    ReferenceCountUtil.release(msg);
                    done = true;
                    front.upstreamFailed("malformed response (" + r.decoderResult().cause() + ")");
                    ctx.close();
                    return;
                }
                if (r.status().code() == 101) {
                    done = true;
                    switched = true;
                    // before the head is written: the write may complete, and the tunnel be built, right away
                    ctx.channel().config().setAutoRead(false);
                    front.upstreamResponse(r);
                    return;
                }
                front.upstreamResponse(r);
            }
            if (msg instanceof HttpContent c) {
                if (c instanceof LastHttpContent) done = true;
                front.upstreamContent(c);
            } else if (!(msg instanceof HttpResponse)) {
                ReferenceCountUtil.release(msg);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            // resume reading the request body; never the next request before this answer is complete
            if (ctx.channel().isWritable() && !front.requestDone && front.proxying) front.client.config().setAutoRead(true);
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (!done && front.upstream == ctx.channel()) front.upstreamFailed("connection closed");
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            if (!done && front.upstream == ctx.channel()) front.upstreamFailed(cause.toString());
            done = true;
            ctx.close();
        }
    }

    /** Raw bytes both ways once the protocol switched (websockets), with back-pressure. */
    private static final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel peer;

        Relay(Channel peer) {
            this.peer = peer;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof ByteBuf)) {
                ReferenceCountUtil.release(msg); // the client codec's empty end of the 101, flushed as it is removed
                return;
            }
            peer.writeAndFlush(msg);
            if (!peer.isWritable()) ctx.channel().config().setAutoRead(false);
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) peer.config().setAutoRead(true);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            peer.close();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
