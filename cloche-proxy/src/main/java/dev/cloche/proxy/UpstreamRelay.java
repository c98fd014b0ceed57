package dev.cloche.proxy;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay engine of one client connection: sends a request to its environment's server without aggregating the
 * body (back-pressure through the client's {@link ReadGate}), relays interim heads, the answer's head and body, and
 * on a {@code 101 Switching Protocols} turns both connections into a {@link ByteTunnel}. The upstream connection is
 * kept ({@link UpstreamDialer}) for the client's next request to the same environment when the server framed its
 * answer and did not ask to close (a GET or HEAD that meets a reused connection closing under it is sent once more on
 * a new one). A server that has the whole request but does not begin its answer within {@code answerTimeout} gets
 * the client a {@code 504}. Writes are flushed once per read of the other side, so an answer whose head and body
 * arrive together leaves in one write. Runs on the client connection's event loop, which its upstream connections
 * share.
 */
final class UpstreamRelay {
    private static final Logger LOG = LoggerFactory.getLogger(UpstreamRelay.class);
    /** Request body held while its upstream connection is not up yet, before the client is read no further. */
    private static final int PENDING_BODY_BYTES = 64 * 1024;

    private final ClientConnection connection;
    private final Channel client;
    private final ReadGate gate;
    private final Environments envs;
    private final UpstreamConnections upstreams;
    private final UpstreamDialer dialer;
    private final AnswerTimer answerTimer;
    private final Duration answerTimeout;
    /** The client's address as forwarded ({@code X-Forwarded-For}), once per connection. */
    private String clientIp;

    /** The connection the current request went out on (null until it is up, and between requests). */
    private Channel upstream;
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
    /** Request parts that arrived before the upstream connection was up, and their body bytes. */
    private final Queue<HttpObject> pending = new ArrayDeque<>();
    private long pendingBytes;
    private boolean proxying;
    /** The proxied request's body has been forwarded in full. */
    private boolean requestDone;
    private boolean responseStarted;
    /** Parts of the answer were written to the client and not flushed yet; parts of the request, upstream. */
    private boolean clientUnflushed;
    private boolean upstreamUnflushed;
    /** The status of the answer being relayed (for the observer). */
    private int status;
    private boolean tunnel;
    /** The start of an environment the current request waits for, until it is ready or the wait ends. */
    private CompletableFuture<Environment> waitingFor;
    /** The environment the current request (or the tunnel it became) is using: its idle countdown waits for it. */
    private Activity using = Activity.NONE;

    UpstreamRelay(ClientConnection connection, Channel client, ReadGate gate, Environments envs, UpstreamConnections upstreams,
                  Duration answerTimeout) {
        this.connection = connection;
        this.client = client;
        this.gate = gate;
        this.envs = envs;
        this.upstreams = upstreams;
        this.answerTimeout = answerTimeout;
        this.dialer = new UpstreamDialer(client.eventLoop(), this);
        this.answerTimer = new AnswerTimer(client.eventLoop(), answerTimeout, this::answerTimedOut);
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
        if (clientIp == null) clientIp = ((InetSocketAddress) client.remoteAddress()).getAddress().getHostAddress();
        boolean upgrade = ForwardedHead.upgrade(req);
        ForwardedHead.request(req, e, target, clientIp, upgrade);
        pending.add(req);
        return upgrade;
    }

    /** Sends the queued request to {@code e}: on the kept-alive connection when it leads there, else a new one. */
    private void dispatch(Environment e, boolean upgrade) {
        using = envs.activity(e.id());
        using.begin();
        if (upgrade) dialer.dropIdle();
        Optional<Channel> kept = upgrade ? Optional.empty() : dialer.reuse(e.id());
        if (kept.isPresent()) {
            reused = true;
            kept.get().pipeline().get(UpstreamHandler.class).reset();
            send(kept.get());
            return;
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
            pendingBytes += c.content().readableBytes();
            if (pendingBytes > PENDING_BODY_BYTES) gate.hold(ReadGate.Reason.BODY);
            return;
        }
        forward(c);
    }

    private void forward(HttpContent c) {
        bodyBytes += c.content().readableBytes();
        if (c instanceof LastHttpContent) {
            upstream.writeAndFlush(c);
            upstreamUnflushed = false;
            requestDone = true;
            answerTimer.arm();
            return;
        }
        upstream.write(c);
        upstreamUnflushed = true;
        if (!upstream.isWritable()) gate.hold(ReadGate.Reason.BODY);
    }

    /** A read of the client (or a turn of its backlog) is complete: what it gave of a request body goes upstream in one write. */
    void clientReadComplete() {
        if (upstreamUnflushed && upstream != null) upstream.flush();
        upstreamUnflushed = false;
    }

    private void connect(Environment e) {
        dialer.connect(e).addListener((ChannelFutureListener) f -> {
            if (!proxying) { // the client left, or the request was answered, while we connected
                f.channel().close();
                return;
            }
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
        pendingBytes = 0;
        requestDone = last;
        upstream.flush();
        upstreamUnflushed = false;
        if (last) answerTimer.arm();
        else if (upstream.isWritable()) gate.release(ReadGate.Reason.BODY); // the body streams on from here
        else gate.hold(ReadGate.Reason.BODY);
    }

    private void answerTimedOut() {
        if (!proxying || responseStarted || upstream == null) return;
        Channel up = upstream;
        upstream = null; // its close is no longer this request's failure
        up.close();
        refuse(Answer.text(504, "environment " + envId + ": its server did not answer within " + answerTimeout.toSeconds() + " s"));
    }

    private void drainPending() {
        while (!pending.isEmpty()) ReferenceCountUtil.release(pending.poll());
        pendingBytes = 0;
    }

    /** The request ends with an answer of the proxy's own instead of the server's. */
    private void refuse(Answer a) {
        proxying = false;
        answerTimer.disarm();
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
        if (connection.http11()) client.writeAndFlush(ForwardedHead.interim(r));
    }

    /** Upstream's answer head: hop-by-hop headers replaced with ours, or a protocol switch. */
    void upstreamResponse(HttpResponse r) {
        responseStarted = true;
        status = r.status().code();
        answerTimer.disarm();
        if (status == 101) {
            connection.observed(101);
            tunnel = true;
            client.writeAndFlush(r).addListener((ChannelFutureListener) f -> becomeTunnel());
            return;
        }
        upstreamReusable = ForwardedHead.answer(r, connection.keepAlive());
        client.write(r); // flushed with its body, or when this read of the upstream connection is complete
        clientUnflushed = true;
    }

    void upstreamContent(HttpContent c) {
        if (!(c instanceof LastHttpContent)) {
            client.write(c);
            clientUnflushed = true;
            if (!client.isWritable()) {
                upstream.config().setAutoRead(false);
                flushClient(); // what is written drains only once flushed
            }
            return;
        }
        ChannelFuture f = client.writeAndFlush(c);
        clientUnflushed = false;
        proxying = false;
        Channel up = upstream;
        upstream = null;
        // a request whose body was not sent in full leaves the connection in an unknown state
        if (upstreamReusable && requestDone && up.isActive()) dialer.keep(up, envId);
        else up.close();
        doneUsing();
        connection.relayed(f, status);
    }

    /** The upstream connection's read is complete: what it brought of the answer goes to the client in one write. */
    void upstreamReadComplete() {
        flushClient();
    }

    private void flushClient() {
        if (clientUnflushed) client.flush();
        clientUnflushed = false;
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
            answerTimer.disarm();
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
            flushClient();
            doneUsing();
            client.close(); // half an answer was sent: closing is the only honest end
        }
    }

    /** The upstream connection can take more of the request body: resume reading it. */
    void upstreamWritable() {
        if (!requestDone && proxying) gate.release(ReadGate.Reason.BODY);
    }

    /** The client can take more of the answer: resume reading it from upstream. */
    void clientWritable() {
        if (upstream != null && client.isWritable()) upstream.config().setAutoRead(true);
    }

    /** The current request is over (its answer written): whatever held its body back holds no more. */
    void requestOver() {
        gate.release(ReadGate.Reason.BODY);
    }

    /** The client connection closed: so do its upstream connections. */
    void clientClosed() {
        waitingFor = null;
        proxying = false;
        doneUsing();
        drainPending();
        answerTimer.close();
        if (upstream != null) upstream.close();
        dialer.close();
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
        answerTimer.close();
        ByteTunnel.join(client, upstream, tunnelUse, UpstreamDialer.HTTP, UpstreamDialer.BACK);
    }
}
