package dev.cloche.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.SocketChannel;
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
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay engine of one client connection: sends a request to its environment's server without aggregating the
 * body (back-pressure by toggling auto-read), relays interim heads, the answer's head and body, and on a
 * {@code 101 Switching Protocols} turns both connections into a {@link ByteTunnel}. The upstream connection is kept
 * for the client's next request to the same environment when the server framed its answer and did not ask to close
 * (a GET or HEAD that meets a reused connection closing under it is sent once more on a new one). A server that has
 * the whole request but does not begin its answer within {@code answerTimeout} gets the client a {@code 504}.
 * Runs on the client connection's event loop, which its upstream connections share.
 */
final class UpstreamRelay {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamRelay.class);
    /** Hop-by-hop headers (RFC 9110 §7.6.1): never forwarded as they are. */
    private static final List<CharSequence> HOP = List.of(HttpHeaderNames.CONNECTION, HttpHeaderNames.KEEP_ALIVE,
            HttpHeaderNames.PROXY_AUTHENTICATE, HttpHeaderNames.PROXY_AUTHORIZATION, HttpHeaderNames.TE,
            HttpHeaderNames.TRAILER, HttpHeaderNames.UPGRADE, "proxy-connection");
    /** The upstream pipeline's handlers, by name. */
    private static final String HTTP = "http";
    private static final String BACK = "back";

    private final ClientConnection connection;
    private final Channel client;
    private final Environments envs;
    private final UpstreamConnections upstreams;
    private final Duration answerTimeout;

    /** The connection the current request went out on (null until it is up, and between requests). */
    private Channel upstream;
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
    private boolean responseStarted;
    /** The status of the answer being relayed (for the observer). */
    private int status;
    private boolean tunnel;
    /** The start of an environment the current request waits for, until it is ready or the wait ends. */
    private CompletableFuture<Environment> waitingFor;
    /** The environment the current request (or the tunnel it became) is using: its idle countdown waits for it. */
    private Activity using = Activity.NONE;

    UpstreamRelay(ClientConnection connection, Channel client, Environments envs, UpstreamConnections upstreams,
                  Duration answerTimeout) {
        this.connection = connection;
        this.client = client;
        this.envs = envs;
        this.upstreams = upstreams;
        this.answerTimeout = answerTimeout;
    }

    /** Relays {@code req} to {@code e} as {@code target}; its body follows through {@link #content}. */
    void start(HttpRequest req, Environment e, String target) {
        boolean upgrade = prepare(req, e, target);
        dispatch(e, upgrade);
    }

    /**
     * Relays {@code req} to an environment still starting once its server is ready; the request (and what arrives of
     * its body) waits here up to {@code wait}, then is answered {@code 503} with {@code Retry-After}. Never a
     * {@code 502}: nothing is sent to a server that has not passed its readiness check.
     */
    void startWhenReady(HttpRequest req, Environments.Lookup.Starting s, String target, Duration wait) {
        boolean upgrade = prepare(req, s.env(), target);
        CompletableFuture<Environment> ready = s.ready();
        waitingFor = ready;
        ScheduledFuture<?> timer = client.eventLoop().schedule(() -> {
            if (waitingFor != ready) return;
            waitingFor = null;
            drainPending();
            refuse(Answer.starting(envId));
        }, wait.toMillis(), TimeUnit.MILLISECONDS);
        ready.whenComplete((env, failure) -> client.eventLoop().execute(() -> {
            if (waitingFor != ready) return; // answered 503 already, or the client left
            waitingFor = null;
            timer.cancel(false);
            if (failure == null) {
                dispatch(env, upgrade);
                return;
            }
            drainPending();
            Throwable why = failure instanceof java.util.concurrent.CompletionException c && c.getCause() != null ? c.getCause() : failure;
            // the id answers 410 from now on; this request waited for a start that failed: say why
            refuse(Answer.text(503, "environment " + envId + " failed to start: " + why.getMessage()));
        }));
    }

    /** Rewrites the request's head for {@code e} and queues it; true when it asks for a protocol switch. */
    private boolean prepare(HttpRequest req, Environment e, String target) {
        proxying = true;
        requestDone = false;
        responseStarted = false;
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
        req.setUri(target);
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
        return upgrade;
    }

    /** Sends the queued request to {@code e}: on the kept-alive connection when it leads there, else a new one. */
    private void dispatch(Environment e, boolean upgrade) {
        using = envs.activity(e.id());
        using.begin();
        if (idle != null) {
            Channel kept = idle;
            idle = null;
            if (!upgrade && idleEnv.equals(e.id()) && kept.isActive()) {
                reused = true;
                kept.pipeline().get(UpstreamHandler.class).reset();
                send(kept);
                return;
            }
            kept.close();
        }
        connect(e);
    }

    /** A part of the client's request body: forwarded, held until the upstream connection is up, or dropped. */
    void content(HttpContent c) {
        if (!proxying) {
            c.release(); // a body sent to one of the proxy's own endpoints, or after the answer: not used
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

    private void connect(Environment e) {
        new Bootstrap().group(client.eventLoop()).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // lenient towards servers: busybox httpd's CGI answers end header lines in a bare LF
                        ch.pipeline().addLast(HTTP, new HttpClientCodec(new HttpDecoderConfig().setStrictLineParsing(false), false, false))
                                .addLast(BACK, new UpstreamHandler(UpstreamRelay.this));
                    }
                }).connect(e.host(), e.port()).addListener((ChannelFutureListener) f -> {
                    if (!f.isSuccess()) {
                        drainPending();
                        refuse(Answer.text(502, "environment " + e.id() + " does not answer: " + f.cause().getMessage()));
                        return;
                    }
                    upstreams.track(e.id(), f.channel());
                    if (!(envs.lookup(e.id()) instanceof Environments.Lookup.Live)) {
                        // it ended while we connected: its end closed nothing of ours yet
                        f.channel().close();
                        drainPending();
                        refuse(Answer.missing(e.id(), envs.lookup(e.id())));
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
            refuse(Answer.text(504, "environment " + id + ": its server did not answer within " + answerTimeout.toSeconds() + " s"));
        }, answerTimeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void cancelAnswerTimer() {
        if (answerTimer != null) answerTimer.cancel(false);
        answerTimer = null;
    }

    private void drainPending() {
        while (!pending.isEmpty()) ReferenceCountUtil.release(pending.poll());
    }

    /** The request ends with an answer of the proxy's own instead of the server's. */
    private void refuse(Answer a) {
        proxying = false;
        cancelAnswerTimer();
        doneUsing();
        connection.answer(a);
    }

    /** Whether {@code ch} carries the current request (an idle kept-alive connection does not). */
    boolean carries(Channel ch) {
        return upstream == ch;
    }

    /**
     * An interim answer ({@code 100 Continue}, {@code 103 Early Hints}): relayed to an HTTP/1.1 client as a head of
     * its own; the real answer follows on the same connection.
     */
    void upstreamInterim(HttpResponse r) {
        if (!connection.http11()) return;
        FullHttpResponse interim = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, r.status());
        interim.headers().set(r.headers());
        for (CharSequence h : HOP) interim.headers().remove(h);
        client.writeAndFlush(interim);
    }

    /** Upstream's answer head: hop-by-hop headers replaced with ours, or a protocol switch. */
    void upstreamResponse(HttpResponse r) {
        responseStarted = true;
        status = r.status().code();
        cancelAnswerTimer();
        if (r.status().code() == 101) {
            connection.observed(101);
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
        if (!connection.keepAlive()) r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        client.writeAndFlush(r);
    }

    void upstreamContent(HttpContent c) {
        boolean last = c instanceof LastHttpContent;
        ChannelFuture f = client.writeAndFlush(c);
        if (last) {
            proxying = false;
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
            doneUsing();
            connection.relayed(f, status);
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
            refuse(envs.lookup(envId) instanceof Environments.Lookup.Live
                    ? Answer.text(502, "the environment's server failed: " + why) : Answer.missing(envId, envs.lookup(envId)));
        } else {
            doneUsing();
            client.close(); // half an answer was sent: closing is the only honest end
        }
    }

    /** The upstream connection can take more of the request body: resume reading it, never the next request. */
    void upstreamWritable() {
        if (!requestDone && proxying) client.config().setAutoRead(true);
    }

    /** The client can take more of the answer: resume reading it from upstream. */
    void clientWritable() {
        if (upstream != null && client.isWritable()) upstream.config().setAutoRead(true);
    }

    /** The client connection closed: so do its upstream connections. */
    void clientClosed() {
        waitingFor = null;
        doneUsing();
        drainPending();
        cancelAnswerTimer();
        if (upstream != null) upstream.close();
        if (idle != null) idle.close();
    }

    private void doneUsing() {
        Activity a = using;
        using = Activity.NONE;
        a.end();
    }

    /** Both connections become a raw byte tunnel, which keeps this request's use of the environment until it closes. */
    private void becomeTunnel() {
        Activity tunnelUse = using;
        using = Activity.NONE;
        ByteTunnel.join(client, upstream, tunnelUse, HTTP, BACK);
    }
}
