package dev.cloche.proxy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * The HTTP edge (Netty): listens, and gives every client connection its pipeline, ending in a
 * {@link ClientConnection} that routes each request to the {@link ControlEndpoint} ({@code /demo/new}, {@code /demo},
 * {@code /demo/{id}}) or its {@link UpstreamRelay} (everything under {@code /demo/{id}/}). When an environment ends,
 * its upstream connections (requests in flight, websocket tunnels) are closed at once.
 */
final class ProxyServer implements AutoCloseable {
    /** A client connection's handlers, by name: the relay takes the HTTP ones out when the protocol switches. */
    static final String IDLE = "idle";
    static final String HTTP = "http";
    static final String FRONT = "front";

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
    private final Channel server;
    private final UpstreamConnections upstreams = new UpstreamConnections();

    ProxyServer(Environments envs, ProxyConfig config) {
        this(envs, config, ProxyObserver.NONE);
    }

    ProxyServer(Environments envs, ProxyConfig config, ProxyObserver observer) {
        InetSocketAddress listen = config.listen();
        ControlEndpoint endpoint = new ControlEndpoint(envs);
        envs.onEnd(upstreams::closeAll);
        try {
            server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(IDLE, new IdleStateHandler(0, 0, config.idleTimeout().toMillis(), TimeUnit.MILLISECONDS))
                                    .addLast(HTTP, new HttpServerCodec())
                                    .addLast(FRONT, new ClientConnection(endpoint, envs, upstreams, config, ProxyServer.this::address, observer));
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

    /** Upstream connections open now, for tests. */
    int openUpstreams() {
        return upstreams.count();
    }

    InetSocketAddress address() {
        return (InetSocketAddress) server.localAddress();
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
