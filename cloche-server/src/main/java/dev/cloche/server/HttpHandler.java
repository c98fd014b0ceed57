package dev.cloche.server;

import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.wire.ErrorCodec;
import dev.cloche.wire.GardenJson;
import dev.cloche.wire.PortLayerJson;
import dev.cloche.wire.PortLayerRoute;
import dev.cloche.wire.ProcessPayload;
import dev.cloche.wire.Query;
import dev.cloche.wire.Route;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Garden HTTP edge of one connection: decode, one {@link GardenClient} call on a virtual thread, encode.
 * Run/Attach and the stdout/stderr streams leave HTTP behind: the codec is removed inside the decoder's callback,
 * so bytes the client pipelined after the request reach the raw handler instead of being parsed as HTTP.
 */
final class HttpHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(HttpHandler.class);
    static final int MAX_BODY = 1024 * 1024;
    private static final int STREAM_CHUNK = 64 * 1024;
    private static final byte[] NOT_FOUND = "404 page not found\n".getBytes(StandardCharsets.US_ASCII);

    private final GardenClient core;
    private final ExecutorService executor;
    private final StreamRegistry registry;
    private final java.util.Optional<PortLayerEndpoint> portLayer;

    // Per-request state; touched only on the event loop.
    private Route.Found route;
    private PortLayerRoute.Match portLayerRoute;
    private java.util.Optional<String> ifMatch = java.util.Optional.empty();
    private java.util.Optional<String> ifNoneMatch = java.util.Optional.empty();
    private Map<String, String> query = Map.of();
    private String method = "";
    private String path = "";
    private boolean closeRequested;
    private long startNanos;
    private ByteArrayOutputStream body;
    private ChunkPipe upload;
    private boolean discarding;

    HttpHandler(GardenClient core, ExecutorService executor, StreamRegistry registry) {
        this(core, java.util.Optional.empty(), executor, registry);
    }

    HttpHandler(GardenClient core, java.util.Optional<PortLayerEndpoint> portLayer, ExecutorService executor,
                StreamRegistry registry) {
        this.core = core;
        this.portLayer = portLayer;
        this.executor = executor;
        this.registry = registry;
    }

    /**
     * HTTP/1.1 answers must go out in request order, but answers are computed on virtual threads. So while one is
     * pending ({@code inFlight}), later requests (and their bodies) wait here, on the event loop, and are replayed
     * once the answer is written.
     */
    private final java.util.ArrayDeque<Object> pending = new java.util.ArrayDeque<>();
    private boolean inFlight;
    private ChannelHandlerContext context;

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        Object m;
        while ((m = pending.poll()) != null) {
            ReferenceCountUtil.release(m);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if ((inFlight && msg instanceof HttpRequest) || !pending.isEmpty()) {
            pending.add(msg);
            return;
        }
        process(ctx, msg);
    }

    private void process(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpRequest req) {
                onRequest(ctx, req);
            }
            if (msg instanceof HttpContent content) {
                onContent(ctx, content);
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onRequest(ChannelHandlerContext ctx, HttpRequest req) {
        startNanos = System.nanoTime();
        route = null;
        portLayerRoute = null;
        body = null;
        upload = null;
        discarding = false;
        method = req.method().name();
        String uri = req.uri();
        int q = uri.indexOf('?');
        path = q < 0 ? uri : uri.substring(0, q);
        closeRequested = req.headers().contains("Connection", "close", true);
        if (req.decoderResult().isFailure()) {
            discarding = true;
            fail(ctx, new InvalidRequestException("malformed request: " + req.decoderResult().cause()), true);
            return;
        }
        try {
            query = Query.decode(q < 0 ? "" : uri.substring(q + 1));
        } catch (InvalidRequestException e) {
            discarding = true;
            fail(ctx, e, true);
            return;
        }
        if (portLayer.isPresent() && PortLayerRoute.handles(path)) {
            PortLayerRoute.Match m = PortLayerRoute.match(method, path);
            if (m.route().isPresent()) {
                portLayerRoute = m;
                ifMatch = java.util.Optional.ofNullable(req.headers().get("If-Match"));
                ifNoneMatch = java.util.Optional.ofNullable(req.headers().get("If-None-Match"));
                body = new ByteArrayOutputStream();
            } else if (m.allow().isEmpty()) {
                discarding = true;
                respond(ctx.channel(), 404, "text/plain; charset=utf-8", "", NOT_FOUND, closeRequested);
            } else {
                discarding = true;
                respond(ctx.channel(), 405, "text/plain; charset=utf-8", "Allow: " + String.join(", ", m.allow()),
                        "Method Not Allowed\n".getBytes(StandardCharsets.US_ASCII), closeRequested);
            }
            return;
        }
        switch (Route.match(method, path)) {
            case Route.NotFound nf -> {
                discarding = true;
                respond(ctx.channel(), 404, "text/plain; charset=utf-8", "", NOT_FOUND, closeRequested);
            }
            case Route.MethodNotAllowed mna -> {
                discarding = true;
                respond(ctx.channel(), 405, "text/plain; charset=utf-8", "Allow: " + String.join(", ", mna.allow()),
                        "Method Not Allowed\n".getBytes(StandardCharsets.US_ASCII), closeRequested);
            }
            case Route.Found f -> {
                route = f;
                if (f.route() == Route.STREAM_IN) {
                    startUpload(ctx, f);
                } else {
                    body = new ByteArrayOutputStream();
                }
            }
        }
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (content.decoderResult().isFailure() && !discarding) {
            discarding = true;
            if (upload != null) {
                upload.fail(new IOException("malformed request body"));
                upload = null;
            } else {
                fail(ctx, new InvalidRequestException("malformed request body: " + content.decoderResult().cause()), true);
            }
            return;
        }
        if (discarding) {
            if (last) {
                discarding = false;
            }
            return;
        }
        if (upload != null) {
            ChunkPipe pipe = upload;
            if (pipe.offer(ByteBufUtil.getBytes(content.content())) > MAX_BODY) {
                ctx.channel().config().setAutoRead(false); // resumed by the pipe's drain callback
                if (pipe.queued() < MAX_BODY / 4) {
                    ctx.channel().config().setAutoRead(true); // the reader drained it before we paused
                }
            }
            if (last) {
                upload.finish();
                upload = null;
                ctx.channel().config().setAutoRead(false); // the answer re-enables reading
            }
            return;
        }
        if (body == null) {
            return;
        }
        if (body.size() + content.content().readableBytes() > MAX_BODY) {
            body = null;
            discarding = !last;
            fail(ctx, new InvalidRequestException("request body too large (max " + MAX_BODY + " bytes)"), true);
            return;
        }
        body.writeBytes(ByteBufUtil.getBytes(content.content()));
        if (last) {
            byte[] bytes = body.toByteArray();
            body = null;
            if (portLayerRoute != null) {
                dispatchPortLayer(ctx, portLayerRoute, bytes);
            } else {
                dispatch(ctx, route, bytes);
            }
        }
    }

    private void dispatch(ChannelHandlerContext ctx, Route.Found f, byte[] bytes) {
        switch (f.route()) {
            case RUN, ATTACH -> hijackProcess(ctx, f, bytes);
            case STDOUT, STDERR -> hijackStream(ctx, f);
            case STREAM_OUT -> {
                inFlight = true;
                ctx.channel().config().setAutoRead(false);
                Map<String, String> qs = query;
                boolean close = closeRequested;
                executor.execute(() -> streamOut(ctx.channel(), f, qs, close));
            }
            default -> {
                inFlight = true;
                ctx.channel().config().setAutoRead(false);
                Map<String, String> qs = query;
                boolean close = closeRequested;
                Channel ch = ctx.channel();
                executor.execute(() -> {
                    byte[] answer;
                    try {
                        answer = handle(f, qs, new String(bytes, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8);
                    } catch (RuntimeException e) {
                        fail(ch, e, close);
                        return;
                    }
                    respond(ch, 200, "application/json", "", answer, close);
                });
            }
        }
    }

    /** A port-layer route: one PortLayer call on a virtual thread; the version it shows goes out as the ETag. */
    private void dispatchPortLayer(ChannelHandlerContext ctx, PortLayerRoute.Match m, byte[] bytes) {
        inFlight = true;
        ctx.channel().config().setAutoRead(false);
        Map<String, String> qs = query;
        boolean close = closeRequested;
        Channel ch = ctx.channel();
        java.util.Optional<String> im = ifMatch;
        java.util.Optional<String> inm = ifNoneMatch;
        PortLayerEndpoint endpoint = portLayer.orElseThrow();
        executor.execute(() -> {
            PortLayerEndpoint.Answer answer;
            try {
                answer = endpoint.handle(m, qs, im, inm, new String(bytes, StandardCharsets.UTF_8));
            } catch (RuntimeException e) {
                fail(ch, e, close);
                return;
            }
            respond(ch, 200, "application/json", answer.version().map(v -> "ETag: " + PortLayerJson.etag(v)).orElse(""),
                    answer.body().getBytes(StandardCharsets.UTF_8), close);
        });
    }

    /** The one GardenClient call of a plain route, with its JSON answer. */
    private String handle(Route.Found f, Map<String, String> qs, String body) {
        return switch (f.route()) {
            case PING -> {
                core.ping();
                yield GardenJson.EMPTY;
            }
            case CAPACITY -> GardenJson.encodeCapacity(core.capacity());
            case LIST -> GardenJson.encodeHandles(core.containers(qs).stream().map(Container::handle).toList());
            case CREATE -> GardenJson.encodeHandle(core.create(GardenJson.decodeContainerSpec(body)).handle());
            case BULK_INFO -> GardenJson.encodeBulkInfo(core.bulkInfo(handles(qs)));
            case BULK_METRICS -> GardenJson.encodeBulkMetrics(core.bulkMetrics(handles(qs)));
            case DESTROY -> {
                core.destroy(f.param("handle"));
                yield GardenJson.EMPTY;
            }
            case INFO -> GardenJson.encodeContainerInfo(container(f).info());
            case STOP -> {
                boolean kill = GardenJson.decodeStop(body);
                container(f).stop(kill);
                yield GardenJson.EMPTY;
            }
            case CURRENT_BANDWIDTH_LIMITS -> GardenJson.encodeBandwidthLimits(container(f).currentBandwidthLimits());
            case CURRENT_CPU_LIMITS -> GardenJson.encodeCpuLimits(container(f).currentCpuLimits());
            case CURRENT_DISK_LIMITS -> GardenJson.encodeDiskLimits(container(f).currentDiskLimits());
            case CURRENT_MEMORY_LIMITS -> GardenJson.encodeMemoryLimits(container(f).currentMemoryLimits());
            case NET_IN -> {
                var req = GardenJson.decodeNetIn(body);
                yield GardenJson.encodeNetInResponse(container(f).netIn(req.hostPort(), req.containerPort()));
            }
            case NET_OUT -> {
                var rule = GardenJson.decodeNetOutRule(body);
                container(f).netOut(rule);
                yield GardenJson.EMPTY;
            }
            case BULK_NET_OUT -> {
                var rules = GardenJson.decodeNetOutRules(body);
                container(f).bulkNetOut(rules);
                yield GardenJson.EMPTY;
            }
            case SET_GRACE_TIME -> {
                var grace = GardenJson.decodeGraceTime(body);
                container(f).setGraceTime(grace);
                yield GardenJson.EMPTY;
            }
            case PROPERTIES -> GardenJson.encodeProperties(container(f).properties());
            case PROPERTY -> GardenJson.encodePropertyValue(container(f).property(f.param("key")));
            case SET_PROPERTY -> {
                String value = GardenJson.decodePropertyValue(body);
                container(f).setProperty(f.param("key"), value);
                yield GardenJson.EMPTY;
            }
            case REMOVE_PROPERTY -> {
                container(f).removeProperty(f.param("key"));
                yield GardenJson.EMPTY;
            }
            case METRICS -> GardenJson.encodeMetrics(container(f).metrics());
            case STREAM_IN, STREAM_OUT, RUN, ATTACH, STDOUT, STDERR ->
                    throw new IllegalStateException("not a plain route: " + f.route());
        };
    }

    private Container container(Route.Found f) {
        return core.lookup(f.param("handle"));
    }

    /** Go splits on ','; an empty or missing value is an empty list (the Go server would panic on missing). */
    private static List<String> handles(Map<String, String> qs) {
        String v = qs.getOrDefault("handles", "");
        return v.isEmpty() ? List.of() : Arrays.asList(v.split(",", -1));
    }

    private void startUpload(ChannelHandlerContext ctx, Route.Found f) {
        ChunkPipe pipe = new ChunkPipe(MAX_BODY / 4, MAX_BODY);
        Channel ch = ctx.channel();
        pipe.onDrain(() -> {
            ch.config().setAutoRead(true);
            ch.read();
        });
        upload = pipe;
        inFlight = true;
        String destination = query.getOrDefault("destination", "");
        String user = query.getOrDefault("user", "");
        boolean close = closeRequested;
        executor.execute(() -> {
            try (pipe) {
                core.lookup(f.param("handle")).streamIn(new StreamInSpec(destination, user, pipe));
            } catch (RuntimeException e) {
                // the rest of the body is unread: answer and drop the connection
                fail(ch, e, close || !pipe.isFinished());
                return;
            }
            respond(ch, 200, "application/json", "", GardenJson.EMPTY.getBytes(StandardCharsets.UTF_8),
                    close || !pipe.isFinished());
        });
    }

    private void streamOut(Channel ch, Route.Found f, Map<String, String> qs, boolean close) {
        InputStream tar;
        byte[] buf = new byte[STREAM_CHUNK];
        int n;
        try {
            tar = core.lookup(f.param("handle"))
                    .streamOut(new StreamOutSpec(qs.getOrDefault("source", ""), qs.getOrDefault("user", "")));
        } catch (RuntimeException e) {
            fail(ch, e, close);
            return;
        }
        try (InputStream in = tar) {
            try {
                n = in.read(buf);
            } catch (IOException | RuntimeException e) {
                fail(ch, e instanceof GardenException g ? g : GardenError.internal("stream out: " + e.getMessage(), e), close);
                return;
            }
            HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
            head.headers().set("Content-Type", "application/octet-stream").set("Date", Http.date())
                    .set("Transfer-Encoding", "chunked");
            if (close) {
                head.headers().set("Connection", "close");
            }
            ch.write(head);
            log(200);
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
            ch.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(close ? ChannelFutureListener.CLOSE : ok -> resume(ch));
        } catch (IOException | RuntimeException e) {
            LOG.warn("stream out of {} failed after the first byte: {}", path, e.toString());
            ch.close(); // the client sees a truncated tar, as with Go
        }
    }

    /** Run/Attach: leave HTTP now (pipelined stdin must not reach the HTTP decoder), then start on a virtual thread. */
    private void hijackProcess(ChannelHandlerContext ctx, Route.Found f, byte[] bytes) {
        ProcessConnection.Start start;
        try {
            start = f.route() == Route.RUN
                    ? new ProcessConnection.Run(GardenJson.decodeProcessSpec(new String(bytes, StandardCharsets.UTF_8)))
                    : new ProcessConnection.Attach(f.param("pid"));
        } catch (RuntimeException e) {
            // leave HTTP first: a typed error needs Content-Length and no Connection: close (§7.6), and any
            // pipelined stdin must not be parsed as the next request
            ctx.pipeline().addAfter(GardenServer.HTTP, "discard", new StreamRegistry.StreamConnection());
            leaveHttp(ctx);
            fail(ctx, e, true);
            return;
        }
        ProcessConnection conn = new ProcessConnection(core, f.param("handle"), start, registry, method, path, startNanos);
        ChannelPipeline p = ctx.pipeline();
        p.addAfter(GardenServer.HTTP, "lines", new LineBasedFrameDecoder(64 * 1024 * 1024));
        p.addAfter("lines", "process", conn);
        leaveHttp(ctx);
        conn.begin(ctx.channel(), executor);
    }

    /** stdout/stderr: 200 head, then the sink writes raw bytes and closes when the output ends. */
    private void hijackStream(ChannelHandlerContext ctx, Route.Found f) {
        Channel ch = ctx.channel();
        ctx.pipeline().addAfter(GardenServer.HTTP, "stream", new StreamRegistry.StreamConnection());
        leaveHttp(ctx);
        StreamRegistry.Kind kind = f.route() == Route.STDOUT ? StreamRegistry.Kind.STDOUT : StreamRegistry.Kind.STDERR;
        ch.writeAndFlush(Http.hijackHead(200, "OK", false));
        log(200);
        boolean claimed = registry.get(f.param("streamid")).map(e -> e.sink(kind).claim(ch)).orElse(false);
        if (!claimed) {
            ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE); // unknown: empty output
        }
    }

    /** Removes this handler and then the codec, whose buffered input flows to the raw handlers added after it. */
    private void leaveHttp(ChannelHandlerContext ctx) {
        ChannelPipeline p = ctx.pipeline();
        p.remove(this);
        p.remove(GardenServer.HTTP);
    }

    private void fail(ChannelHandlerContext ctx, Throwable e, boolean close) {
        fail(ctx.channel(), e, close);
    }

    private void fail(Channel ch, Throwable e, boolean close) {
        GardenException ge = e instanceof GardenException g ? g : GardenError.internal(String.valueOf(e.getMessage()), e);
        if (!(ge instanceof GardenError) || ge.kind() == GardenException.Kind.INTERNAL) {
            LOG.debug("{} {} failed", method, path, e);
        }
        ErrorCodec.Encoded enc = ErrorCodec.encode(ge);
        respond(ch, enc.status(), "application/json", ErrorCodec.KIND_HEADER + ": " + enc.kind(),
                enc.body().getBytes(StandardCharsets.UTF_8), close);
    }

    /** A complete answer through the codec; thread-safe. {@code extraHeader} is "Name: value" or empty. */
    private void respond(Channel ch, int status, String contentType, String extraHeader, byte[] answer, boolean close) {
        if (ch.pipeline().get(GardenServer.HTTP) == null) {
            // already raw (a hijacked route failed before its head): same bytes, written by hand
            ch.writeAndFlush(Http.rawResponse(status, HttpResponseStatus.valueOf(status).reasonPhrase(), contentType,
                    extraHeader.isEmpty() ? "" : extraHeader + "\r\n", answer)).addListener(ChannelFutureListener.CLOSE);
            log(status);
            return;
        }
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(answer));
        r.headers().set("Content-Type", contentType);
        if (!extraHeader.isEmpty()) {
            int colon = extraHeader.indexOf(':');
            r.headers().set(extraHeader.substring(0, colon), extraHeader.substring(colon + 1).strip());
        }
        r.headers().set("Date", Http.date()).set("Content-Length", answer.length);
        if (close) {
            r.headers().set("Connection", "close");
        }
        ch.writeAndFlush(r).addListener(close ? ChannelFutureListener.CLOSE : ok -> resume(ch));
        log(status);
    }

    /** The pending answer is written: read on, starting with the requests that waited for it. */
    private void resume(Channel ch) {
        ch.eventLoop().execute(() -> {
            inFlight = false;
            while (!inFlight && !pending.isEmpty() && ch.isActive()) {
                process(context, pending.poll());
            }
            if (!inFlight) {
                ch.config().setAutoRead(true);
                ch.read();
            }
        });
    }

    private void log(int status) {
        LOG.info("method={} path={} route={} status={} durationMs={}", method, path,
                route != null ? route.route().name()
                        : portLayerRoute != null ? "PORTLAYER_" + portLayerRoute.route().orElseThrow().name() : "-", status, (System.nanoTime() - startNanos) / 1_000_000);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (upload != null) {
            upload.fail(new IOException("client closed the connection mid-upload"));
            upload = null;
        }
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("connection error: {}", cause.toString());
        ctx.close();
    }
}
