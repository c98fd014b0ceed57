package dev.cloche.proxy;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpDecoderConfig;
import java.util.Optional;

/**
 * One client connection's upstream connections: new ones on the client's event loop (no hand-off between threads),
 * and the one kept alive after a framed answer, for the next request to the same environment.
 */
final class UpstreamDialer implements AutoCloseable {
    /** The upstream pipeline's handlers, by name (the tunnel takes the HTTP ones out). */
    static final String HTTP = "http";
    static final String BACK = "back";

    private final Bootstrap bootstrap;
    /** A kept-alive upstream connection with no request on it, and the environment it leads to. */
    private Channel idle;
    private String idleEnv = "";

    UpstreamDialer(EventLoop loop, UpstreamRelay relay) {
        bootstrap = new Bootstrap().group(loop).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true).option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 5000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // lenient towards servers: busybox httpd's CGI answers end header lines in a bare LF
                        ch.pipeline().addLast(HTTP, new HttpClientCodec(new HttpDecoderConfig().setStrictLineParsing(false), false, false))
                                .addLast(BACK, new UpstreamHandler(relay));
                    }
                });
    }

    /** The kept-alive connection if it leads to {@code envId} and is still open; any other is closed. */
    Optional<Channel> reuse(String envId) {
        Channel kept = idle;
        idle = null;
        if (kept == null) return Optional.empty();
        if (idleEnv.equals(envId) && kept.isActive()) return Optional.of(kept);
        kept.close();
        return Optional.empty();
    }

    /** Drops the kept-alive connection (a protocol switch always takes a new one). */
    void dropIdle() {
        if (idle != null) idle.close();
        idle = null;
    }

    /** Keeps {@code up} for the next request to {@code envId}; reading stays on so that its close is noticed. */
    void keep(Channel up, String envId) {
        if (idle != null && idle != up) idle.close();
        idle = up;
        idleEnv = envId;
        up.config().setAutoRead(true);
    }

    ChannelFuture connect(Environment e) {
        return bootstrap.connect(e.host(), e.port());
    }

    @Override
    public void close() {
        dropIdle();
    }
}
