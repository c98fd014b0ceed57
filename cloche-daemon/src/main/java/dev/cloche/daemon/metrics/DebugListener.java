package dev.cloche.daemon.metrics;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's debug listener, plain HTTP (keep it on loopback): {@code /debug/vars} (Go expvar JSON),
 * {@code /metrics} (Prometheus text) and {@code /healthz} ({@code ok}, or 503 and one line why). Netty, like
 * Garden's listeners, on one event loop thread of its own; each page is computed on a virtual thread (a scrape reads
 * the core, a health check may wait for the backend), never on the event loop. The JDK's small HTTP server was tried
 * first: it held every scrape for 35-60 ms (its head and body went out as two segments; 0.7 ms in-process).
 */
public final class DebugListener implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DebugListener.class);
    /** Prometheus' text exposition format, version 0.0.4. */
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";

    private final EventLoopGroup group;
    private final Channel channel;
    private final ExecutorService executor;

    private DebugListener(EventLoopGroup group, Channel channel, ExecutorService executor) {
        this.group = group;
        this.channel = channel;
        this.executor = executor;
    }

    /** Pages the listener serves, each computed per request. */
    public record Pages(Supplier<String> expvars, Supplier<String> metrics, Supplier<Optional<String>> healthProblem) {
    }

    private record Page(int status, String type, String body) {}

    public static DebugListener start(InetSocketAddress address, Pages pages) {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
        Channel ch;
        try {
            ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel c) {
                            c.pipeline().addLast(new HttpServerCodec()).addLast(new HttpObjectAggregator(64 << 10))
                                    .addLast(new Handler(pages, executor));
                        }
                    }).bind(address).syncUninterruptibly().channel();
        } catch (Exception e) { // Netty rethrows the bind's checked exception as is
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            executor.shutdownNow();
            // a setting the operator must change: one line, as for every other bad setting
            throw new IllegalArgumentException("--debug-listen: cannot listen on " + address.getHostString() + ":"
                    + address.getPort() + ": " + e.getMessage(), e);
        }
        DebugListener listener = new DebugListener(group, ch, executor);
        LOG.info("debug listener on http://{}:{} (/debug/vars, /metrics, /healthz)",
                address.getHostString(), listener.port());
        if (address.getAddress() == null || !address.getAddress().isLoopbackAddress()) {
            LOG.warn("debug listener on {}, not loopback: it has no authentication, anyone who reaches it reads it",
                    address);
        }
        return listener;
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    /** One request at a time per connection (HTTP/1.1 keep-alive, no pipelining needed by scrapers). */
    private static final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {
        private final Pages pages;
        private final ExecutorService executor;

        Handler(Pages pages, ExecutorService executor) {
            this.pages = pages;
            this.executor = executor;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
            String path = new QueryStringDecoder(req.uri()).path();
            boolean keepAlive = HttpUtil.isKeepAlive(req);
            boolean head = req.method().equals(HttpMethod.HEAD);
            boolean known = path.equals("/debug/vars") || path.equals("/metrics") || path.equals("/healthz");
            if (!req.decoderResult().isSuccess()) {
                write(ctx, new Page(400, TEXT, "malformed request\n"), false, false);
            } else if (!known) {
                write(ctx, new Page(404, TEXT, "not found: try /debug/vars, /metrics or /healthz\n"), keepAlive, head);
            } else if (!req.method().equals(HttpMethod.GET) && !head) {
                write(ctx, new Page(405, TEXT, "method not allowed\n"), keepAlive, head);
            } else {
                ctx.channel().config().setAutoRead(false); // the next request waits for this answer
                executor.execute(() -> {
                    Page page = page(path);
                    ctx.channel().eventLoop().execute(() -> {
                        write(ctx, page, keepAlive, head);
                        ctx.channel().config().setAutoRead(true);
                    });
                });
            }
        }

        private Page page(String path) {
            try {
                return switch (path) {
                    case "/debug/vars" -> new Page(200, "application/json; charset=utf-8", pages.expvars().get());
                    case "/metrics" -> new Page(200, PROMETHEUS_TEXT, pages.metrics().get());
                    default -> {
                        Optional<String> problem = pages.healthProblem().get();
                        yield new Page(problem.isEmpty() ? 200 : 503, TEXT, problem.orElse("ok") + "\n");
                    }
                };
            } catch (RuntimeException e) {
                LOG.warn("debug page {} failed: {}", path, e.toString());
                return new Page(500, TEXT, "internal error\n");
            }
        }

        private static void write(ChannelHandlerContext ctx, Page page, boolean keepAlive, boolean head) {
            byte[] bytes = page.body().getBytes(StandardCharsets.UTF_8);
            ByteBuf body = head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes);
            FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(page.status()), body);
            r.headers().set(HttpHeaderNames.CONTENT_TYPE, page.type()).setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
            if (page.status() == 405) {
                r.headers().set(HttpHeaderNames.ALLOW, "GET, HEAD");
            }
            if (!keepAlive) {
                r.headers().set(HttpHeaderNames.CONNECTION, "close");
            }
            var written = ctx.writeAndFlush(r);
            if (!keepAlive) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.debug("debug connection failed: {}", cause.toString());
            ctx.close();
        }
    }

    /** Stops listening and drops connections at once (a scrape in flight is cut). */
    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        executor.shutdownNow();
    }
}
