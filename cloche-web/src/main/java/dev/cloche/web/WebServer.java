package dev.cloche.web;

import dev.cloche.api.GardenClient;
import dev.cloche.server.ServerTls;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import java.net.InetSocketAddress;
import java.util.Objects;
import java.util.Optional;

/**
 * The web console's listener (Netty, HTTP/1.1 and websockets, optionally TLS with the API's PEM files). Closing it
 * stops serving and drops open terminals; their processes run on (a terminal detaches, as Garden's clients do).
 */
public final class WebServer implements AutoCloseable {
    /** Largest request body (an upload); larger ones are refused with 413. */
    static final int MAX_BODY = 64 * 1024 * 1024;

    private final EventLoopGroup group;
    private final Channel channel;

    private WebServer(EventLoopGroup group, Channel channel) {
        this.group = group;
        this.channel = channel;
    }

    public static WebServer start(InetSocketAddress address, Optional<ServerTls> tls, WebRouter router, GardenClient garden) {
        Objects.requireNonNull(address, "address");
        Optional<SslContext> ssl = tls.map(ServerTls::context); // a bad file is said now, before binding
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        try {
            Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            ssl.ifPresent(s -> c.pipeline().addLast("tls", s.newHandler(c.alloc())));
                            c.pipeline().addLast("http", new HttpServerCodec())
                                    .addLast("aggregate", new HttpObjectAggregator(MAX_BODY))
                                    .addLast("web", new WebHttpHandler(router, garden, ssl.isPresent()));
                        }
                    }).bind(address).syncUninterruptibly().channel();
            return new WebServer(group, ch);
        } catch (RuntimeException e) {
            group.shutdownGracefully();
            throw e;
        }
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        group.shutdownGracefully(100, 5000, java.util.concurrent.TimeUnit.MILLISECONDS).syncUninterruptibly();
    }
}
