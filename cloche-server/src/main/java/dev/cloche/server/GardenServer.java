package dev.cloche.server;

import dev.cloche.api.Caller;
import dev.cloche.api.EventSource;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ImageCatalog;
import dev.cloche.api.PortLayer;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.ssl.SslContext;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Garden's HTTP wire protocol in front of a {@link GardenClient}, on TCP and/or a unix socket. A thin edge: each
 * request is decoded, turned into one call on the core (on a virtual thread, never on the event loop) and encoded.
 * Wiring: per connection an {@link HttpHandler} (pipelining, flow control) hands requests to the {@link Router}
 * (Garden's routes through {@link GardenEndpoint}, the port layer's through {@link PortLayerEndpoint}, Cloche's
 * images through {@link ImageEndpoint}, the event stream through {@link EventEndpoint} and {@link EventStream}); the
 * {@link Hijacker} takes the connections that leave HTTP.
 */
public final class GardenServer implements AutoCloseable {
    static final String GATE = "gate";
    static final String HTTP = "http";

    private static final Logger LOG = LoggerFactory.getLogger(GardenServer.class);
    private static final AttributeKey<Caller> CALLER = AttributeKey.valueOf("cloche.caller");

    /** Go keeps a finished Run/Attach's streams claimable this long (garden-protocol §7.3). */
    public static final Duration STREAM_LINGER = Duration.ofSeconds(60);

    private final EventLoopGroup group;
    private final ExecutorService executor;
    private final List<Channel> listeners = new ArrayList<>();
    private final Optional<Path> socket;
    private final StreamRegistry registry;
    private final OptionalInt tcpPort;
    private final RequestObserver observer;
    private boolean closed;

    private GardenServer(Builder b) {
        GardenClient core = b.core;
        Optional<PortLayer> portLayer = b.portLayer;
        Optional<ImageCatalog> images = b.images;
        Optional<InetSocketAddress> tcp = b.tcp;
        Optional<Path> socket = b.unixSocket;
        Duration linger = b.streamLinger;
        // AUDIT: the kernel's word on who connected to the unix socket (uid, pid)
        PeerCredentials credentials = b.peerCredentials.orElseGet(() -> socket.isPresent() ? new SoPeerCred() : PeerCredentials.NONE);
        this.observer = b.requestObserver;
        this.socket = socket;
        this.group = new MultiThreadIoEventLoopGroup(2, NioIoHandler.newFactory());
        this.executor = Executors.newVirtualThreadPerTaskExecutor();
        StreamRegistry registry = new StreamRegistry(group.next(), linger);
        this.registry = registry;
        GardenEndpoint garden = new GardenEndpoint(core);
        Router router = new Router(garden, portLayer.map(PortLayerEndpoint::new), images.map(ImageEndpoint::new),
                b.events.map(EventEndpoint::new));
        Hijacker hijacker = new Hijacker(garden, registry, executor);
        // ACCESS: TLS and the token guard the TCP listener; the unix socket is guarded by its mode and group
        Optional<SslContext> tls = b.tls.map(ServerTls::context);
        try {
            OptionalInt port = OptionalInt.empty();
            if (tcp.isPresent()) {
                Channel ch = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                        .childHandler(initializer(router, hijacker, Optional.empty(), tls, b.token, PeerCredentials.NONE))
                        .bind(tcp.get()).syncUninterruptibly().channel();
                listeners.add(ch);
                port = OptionalInt.of(((InetSocketAddress) ch.localAddress()).getPort());
                warnIfOpen(tcp.get(), tls.isPresent(), b.token.isPresent());
            }
            if (socket.isPresent()) {
                ServerBootstrap unix = new ServerBootstrap().group(group).channel(NioServerDomainSocketChannel.class)
                        .childHandler(initializer(router, hijacker, socket, Optional.empty(), Optional.empty(), credentials));
                listeners.add(UnixSocketBinding.bind(unix, socket.get(), b.socketGroup));
            }
            this.tcpPort = port;
        } catch (IOException | RuntimeException e) {
            close();
            throw e instanceof IOException io ? new UncheckedIOException(io) : (RuntimeException) e;
        }
    }

    /**
     * The pipeline of one accepted connection: [TLS, its peer], the writability gate, the HTTP codec, [the token
     * gate], the Garden handler. {@code socketPath} names a unix listener's socket (its channel was bound elsewhere,
     * see {@link UnixSocketBinding}); {@code credentials} asks the kernel who connected to it.
     */
    private ChannelInitializer<Channel> initializer(Router router, Hijacker hijacker, Optional<Path> socketPath,
                                                    Optional<SslContext> tls, Optional<BearerToken> token,
                                                    PeerCredentials credentials) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                // Netty's default (32/64 KiB) holds one output chunk in flight: every chunk became a ping-pong
                // between the pump and the event loop (docs/benchmarks.md, stream)
                ch.config().setWriteBufferWaterMark(new io.netty.channel.WriteBufferWaterMark(256 << 10, 1 << 20));
                Caller peer = withCredentials(peer(ch), ch, credentials);
                ch.attr(CALLER).set(socketPath.map(p -> new Caller(peer.transport(), p.toString(), peer.uid(),
                        peer.pid(), peer.subject())).orElse(peer));
                ChannelPipeline p = ch.pipeline();
                tls.ifPresent(ctx -> p.addLast("tls", ctx.newHandler(ch.alloc())).addLast(TlsPeer.NAME, new TlsPeer()));
                p.addLast(GATE, new Http.Writability()).addLast(HTTP, new HttpServerCodec());
                token.ifPresent(t -> p.addLast(TokenGate.NAME, new TokenGate(t)));
                p.addLast("garden", new HttpHandler(router, hijacker, executor, observer));
            }
        };
    }

    /** Anyone who reaches a plain, tokenless listener is root on this host: say so when that is not only local. */
    private static void warnIfOpen(InetSocketAddress address, boolean tls, boolean token) {
        if (tls) {
            return;
        }
        if (address.getAddress() == null || !address.getAddress().isLoopbackAddress()) {
            LOG.warn("the Garden API listens on {} over plain HTTP{}: anyone who can reach it controls this host's"
                    + " containers; use --tls-cert/--tls-key (and --tls-client-ca or --token-file), or listen on"
                    + " loopback", address, token ? " (the token travels in clear)" : " without a token");
        } else if (!token) {
            LOG.info("the Garden API listens on {} over plain HTTP without a token: every local user can call it",
                    address);
        }
    }

    /** Who is at the other end of {@code ch}, as far as the transport tells (set when the connection is accepted). */
    static Caller caller(Channel ch) {
        Caller c = ch.attr(CALLER).get();
        return c != null ? c : peer(ch);
    }

    /** Replaces what is known of the connection's caller (e.g. once a TLS handshake names a certificate subject). */
    static void caller(Channel ch, Caller caller) {
        ch.attr(CALLER).set(caller);
    }

    private static Caller peer(Channel ch) {
        return switch (ch.remoteAddress()) {
            case InetSocketAddress a -> new Caller("tcp", a.getHostString() + ":" + a.getPort(), OptionalInt.empty(),
                    OptionalLong.empty(), Optional.empty());
            case null, default -> new Caller("unix", ch.localAddress() == null ? "-" : ch.localAddress().toString(),
                    OptionalInt.empty(), OptionalLong.empty(), Optional.empty());
        };
    }

    /** On a unix socket, the peer's uid and pid as the kernel says them (SO_PEERCRED). */
    private static Caller withCredentials(Caller caller, Channel ch, PeerCredentials credentials) {
        if (!caller.transport().equals("unix")) {
            return caller;
        }
        return credentials.of(ch).map(c -> caller.withPeer(c.uid(), c.pid())).orElse(caller);
    }

    /** Starts listening; at least one of {@code tcp} and {@code unixSocket} must be present. */
    public static GardenServer start(GardenClient core, Optional<InetSocketAddress> tcp, Optional<Path> unixSocket) {
        return start(core, Optional.empty(), tcp, unixSocket, STREAM_LINGER);
    }

    /** As {@link #start(GardenClient, Optional, Optional)}, also serving the port layer's routes under /portlayer/. */
    public static GardenServer start(GardenClient core, Optional<PortLayer> portLayer, Optional<InetSocketAddress> tcp,
                                     Optional<Path> unixSocket) {
        return start(core, portLayer, tcp, unixSocket, STREAM_LINGER);
    }

    /**
     * As {@link #start(GardenClient, Optional, Optional, Optional)}, also serving Cloche's image routes
     * ({@code /images}) over {@code images}; without it they answer 404, as a Garden server's would.
     */
    public static GardenServer start(GardenClient core, Optional<PortLayer> portLayer, Optional<ImageCatalog> images,
                                     Optional<InetSocketAddress> tcp, Optional<Path> unixSocket) {
        return start(core, portLayer, images, tcp, unixSocket, STREAM_LINGER);
    }

    static GardenServer start(GardenClient core, Optional<InetSocketAddress> tcp, Optional<Path> unixSocket,
                              Duration streamLinger) {
        return start(core, Optional.empty(), tcp, unixSocket, streamLinger);
    }

    static GardenServer start(GardenClient core, Optional<PortLayer> portLayer, Optional<InetSocketAddress> tcp,
                              Optional<Path> unixSocket, Duration streamLinger) {
        return start(core, portLayer, Optional.empty(), tcp, unixSocket, streamLinger);
    }

    static GardenServer start(GardenClient core, Optional<PortLayer> portLayer, Optional<ImageCatalog> images,
                              Optional<InetSocketAddress> tcp, Optional<Path> unixSocket, Duration streamLinger) {
        Builder b = builder(core).streamLinger(streamLinger);
        portLayer.ifPresent(b::portLayer);
        images.ifPresent(b::images);
        tcp.ifPresent(b::tcp);
        unixSocket.ifPresent(b::unixSocket);
        return b.start();
    }

    /** A server over {@code core}; say where it listens and what else it serves, then {@link Builder#start()}. */
    public static Builder builder(GardenClient core) {
        return new Builder(core);
    }

    /** What a server serves and how; each setting is optional except at least one listener. */
    public static final class Builder {
        private final GardenClient core;
        private Optional<PortLayer> portLayer = Optional.empty();
        private Optional<ImageCatalog> images = Optional.empty();
        private Optional<EventSource> events = Optional.empty();
        private Optional<InetSocketAddress> tcp = Optional.empty();
        private Optional<Path> unixSocket = Optional.empty();
        private Duration streamLinger = STREAM_LINGER;
        // ACCESS
        private Optional<String> socketGroup = Optional.empty();
        private Optional<ServerTls> tls = Optional.empty();
        private Optional<BearerToken> token = Optional.empty();
        private Optional<PeerCredentials> peerCredentials = Optional.empty();
        private RequestObserver requestObserver = RequestObserver.NONE;

        private Builder(GardenClient core) {
            this.core = Objects.requireNonNull(core, "core");
        }

        /** Also serve the port layer's routes under /portlayer/. */
        public Builder portLayer(PortLayer portLayer) {
            this.portLayer = Optional.of(portLayer);
            return this;
        }

        /** Also serve Cloche's image routes ({@code /images}); without them they answer 404, as Garden's would. */
        public Builder images(ImageCatalog images) {
            this.images = Optional.of(images);
            return this;
        }

        /** Also serve Cloche's event stream ({@code GET /events}); without it the route answers 404, as Garden's would. */
        public Builder events(EventSource events) {
            this.events = Optional.of(events);
            return this;
        }

        public Builder tcp(InetSocketAddress address) {
            this.tcp = Optional.of(address);
            return this;
        }

        public Builder unixSocket(Path path) {
            this.unixSocket = Optional.of(path);
            return this;
        }

        /** The unix socket's group (a name or a numeric gid); without it, the daemon's own group. Mode 0660. */
        public Builder socketGroup(String group) {
            this.socketGroup = Optional.of(group);
            return this;
        }

        /** Serve HTTPS on the TCP listener (and, with a client CA, require client certificates). */
        public Builder tls(ServerTls tls) {
            this.tls = Optional.of(tls);
            return this;
        }

        /** Require {@code Authorization: Bearer <token>} on every request to the TCP listener (not the unix socket). */
        public Builder token(BearerToken token) {
            this.token = Optional.of(token);
            return this;
        }

        /** Tell {@code observer} of every answered request (metrics); by default nothing is told. */
        public Builder requestObserver(RequestObserver observer) {
            this.requestObserver = Objects.requireNonNull(observer, "observer");
            return this;
        }

        Builder streamLinger(Duration linger) {
            this.streamLinger = Objects.requireNonNull(linger, "linger");
            return this;
        }

        /** AUDIT: how a unix-socket peer's credentials are read (default: SO_PEERCRED); tests put a fake here. */
        Builder peerCredentials(PeerCredentials credentials) {
            this.peerCredentials = Optional.of(credentials);
            return this;
        }

        public GardenServer start() {
            if (tcp.isEmpty() && unixSocket.isEmpty()) {
                throw new IllegalArgumentException("no listen address");
            }
            return new GardenServer(this);
        }
    }

    public static GardenServer tcp(GardenClient core, String host, int port) {
        return start(core, Optional.of(new InetSocketAddress(host, port)), Optional.empty());
    }

    public static GardenServer unix(GardenClient core, Path socket) {
        return start(core, Optional.empty(), Optional.of(socket));
    }

    /** The bound TCP port (useful with port 0), if listening on TCP. */
    public OptionalInt tcpPort() {
        return tcpPort;
    }

    public Optional<Path> unixSocket() {
        return socket;
    }

    /** Stops listening and drops connections; running processes are detached, not killed. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Channel ch : listeners) {
            ch.close().syncUninterruptibly();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        executor.shutdownNow();
        registry.expireAll();
        socket.ifPresent(p -> {
            try {
                Files.deleteIfExists(p);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }
}
