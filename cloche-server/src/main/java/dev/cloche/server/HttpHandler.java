package dev.cloche.server;

import dev.cloche.api.CallContext;
import dev.cloche.api.InvalidRequestException;
import io.netty.buffer.ByteBufUtil;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One HTTP connection of the Garden server: hands each request to the {@link Router}, feeds the route its body
 * (whole, or streamed with flow control for uploads), runs it on a virtual thread (never on the event loop) and
 * writes the answers in request order. Connections that leave HTTP are handed to the {@link Hijacker}.
 */
final class HttpHandler extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(HttpHandler.class);
    static final int MAX_BODY = 1024 * 1024;

    private final Router router;
    private final Hijacker hijacker;
    private final ExecutorService executor;
    private final RequestObserver observer;

    // Per-request state; touched only on the event loop.
    private Router.Routed routed;
    private RequestLine line;
    private boolean closeRequested;
    private ByteArrayOutputStream body;
    private ChunkPipe upload;
    private boolean discarding;
    /** An event stream holds the connection to its end: whatever the client sends meanwhile is dropped. */
    private boolean following;

    /**
     * HTTP/1.1 answers must go out in request order, but answers are computed on virtual threads. So while one is
     * pending ({@code inFlight}), later requests (and their bodies) wait here, on the event loop, and are replayed
     * once the answer is written.
     */
    private final ArrayDeque<Object> pending = new ArrayDeque<>();
    private boolean inFlight;
    private ChannelHandlerContext context;

    HttpHandler(Router router, Hijacker hijacker, ExecutorService executor, RequestObserver observer) {
        this.observer = observer;
        this.router = router;
        this.hijacker = hijacker;
        this.executor = executor;
    }

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
        if (following) {
            ReferenceCountUtil.release(msg);
            return;
        }
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
        long startNanos = System.nanoTime();
        routed = null;
        body = null;
        upload = null;
        discarding = false;
        String method = req.method().name();
        String uri = req.uri();
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        closeRequested = req.headers().contains("Connection", "close", true);
        if (req.decoderResult().isFailure()) {
            line = new RequestLine(method, path, RequestLine.NO_ROUTE, startNanos, CallContext.of(GardenServer.caller(ctx.channel())),
                    observer);
            discarding = true;
            fail(ctx.channel(), new InvalidRequestException("malformed request: " + req.decoderResult().cause()), true);
            return;
        }
        Router.Routed r = router.route(method, uri, name -> Optional.ofNullable(req.headers().get(name)));
        line = new RequestLine(method, path, r.route(), startNanos, CallContext.of(GardenServer.caller(ctx.channel())),
                    observer);
        switch (r) {
            case Router.Reject reject -> {
                discarding = true;
                AnswerWriter.write(ctx.channel(), reject.answer(), reject.close() || closeRequested, line, next(ctx.channel()));
            }
            case Router.Upload u -> startUpload(ctx, u);
            case Router.Call c -> buffer(c);
            case Router.Download d -> buffer(d);
            case Router.Records records -> buffer(records);
            case Router.Hijack h -> buffer(h);
            case Router.Follow f -> buffer(f);
        }
    }

    /** The route waits for its whole body (at most {@link #MAX_BODY}). */
    private void buffer(Router.Routed r) {
        routed = r;
        body = new ByteArrayOutputStream();
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        boolean last = content instanceof LastHttpContent;
        if (content.decoderResult().isFailure() && !discarding) {
            discarding = true;
            if (upload != null) {
                upload.fail(new IOException("malformed request body"));
                upload = null;
            } else {
                fail(ctx.channel(), new InvalidRequestException("malformed request body: " + content.decoderResult().cause()), true);
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
            fail(ctx.channel(), new InvalidRequestException("request body too large (max " + MAX_BODY + " bytes)"), true);
            return;
        }
        body.writeBytes(ByteBufUtil.getBytes(content.content()));
        if (last) {
            byte[] bytes = body.toByteArray();
            body = null;
            dispatch(ctx, bytes);
        }
    }

    /** The body is complete: run the route off the event loop, or leave HTTP. */
    private void dispatch(ChannelHandlerContext ctx, byte[] bytes) {
        Channel ch = ctx.channel();
        boolean close = closeRequested;
        RequestLine l = line;
        switch (routed) {
            case Router.Call c -> {
                inFlight = true;
                ch.config().setAutoRead(false);
                l.bound(executor).execute(() -> {
                    Answer answer;
                    try {
                        answer = c.call().apply(new String(bytes, StandardCharsets.UTF_8));
                    } catch (RuntimeException e) {
                        AnswerWriter.fail(ch, e, close, l, next(ch));
                        return;
                    }
                    AnswerWriter.write(ch, answer, close, l, next(ch));
                });
            }
            case Router.Download d -> {
                inFlight = true;
                ch.config().setAutoRead(false);
                l.bound(executor).execute(() -> AnswerWriter.download(ch, d.open(), close, l, next(ch)));
            }
            case Router.Records r -> {
                inFlight = true;
                ch.config().setAutoRead(false);
                l.bound(executor).execute(() -> AnswerWriter.records(ch, r, new String(bytes, StandardCharsets.UTF_8), close, l, next(ch)));
            }
            case Router.Hijack h -> hijacker.hijack(ctx, h.found(), bytes, l);
            case Router.Follow f -> {
                // reading stays on, so a client that goes away is seen even while no event flows
                inFlight = true;
                following = true;
                l.bound(executor).execute(() -> EventStream.follow(ch, f.subscribe(), l));
            }
            case Router.Reject r -> throw new IllegalStateException("a rejected request has no body to dispatch");
            case Router.Upload u -> throw new IllegalStateException("an upload's body is streamed, not buffered");
        }
    }

    private void startUpload(ChannelHandlerContext ctx, Router.Upload u) {
        ChunkPipe pipe = new ChunkPipe(MAX_BODY / 4, MAX_BODY);
        Channel ch = ctx.channel();
        pipe.onDrain(() -> {
            ch.config().setAutoRead(true);
            ch.read();
        });
        upload = pipe;
        inFlight = true;
        boolean close = closeRequested;
        RequestLine l = line;
        l.bound(executor).execute(() -> {
            Answer answer;
            try (pipe) {
                answer = u.call().apply(pipe);
            } catch (RuntimeException e) {
                // the rest of the body is unread: answer and drop the connection
                AnswerWriter.fail(ch, e, close || !pipe.isFinished(), l, next(ch));
                return;
            }
            AnswerWriter.write(ch, answer, close || !pipe.isFinished(), l, next(ch));
        });
    }

    private void fail(Channel ch, Throwable e, boolean close) {
        AnswerWriter.fail(ch, e, close, line, next(ch));
    }

    private Runnable next(Channel ch) {
        return () -> resume(ch);
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
