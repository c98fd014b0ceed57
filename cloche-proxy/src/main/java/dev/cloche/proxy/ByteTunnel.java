package dev.cloche.proxy;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;

/** One direction of a switched protocol (websockets): raw bytes to the peer, with back-pressure; either side's end ends both. */
final class ByteTunnel extends ChannelInboundHandlerAdapter {
    private final Channel peer;

    ByteTunnel(Channel peer) {
        this.peer = peer;
    }

    /**
     * Turns a client connection and its upstream connection into a tunnel: the HTTP handlers go (the upstream's are
     * named {@code upstreamHttp} and {@code upstreamRelay}), what they still held flows on, and {@code use} of the
     * environment ends when the tunnel closes: an open websocket never idles its environment out.
     */
    static void join(Channel client, Channel up, Activity use, String upstreamHttp, String upstreamRelay) {
        client.closeFuture().addListener(f -> use.end());
        client.pipeline().remove(ProxyServer.FRONT);
        client.pipeline().addLast("tunnel", new ByteTunnel(up));
        client.pipeline().remove(ProxyServer.HTTP);
        client.pipeline().remove(ProxyServer.IDLE); // a websocket may be quiet for long; it ends with either side or the TTL
        up.pipeline().remove(upstreamRelay);
        up.pipeline().addLast("tunnel", new ByteTunnel(client));
        up.pipeline().remove(upstreamHttp);
        client.config().setAutoRead(true);
        up.config().setAutoRead(true);
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
