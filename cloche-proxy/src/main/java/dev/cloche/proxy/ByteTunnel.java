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
