package dev.cloche.proxy;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

/**
 * An upstream connection's end of the relay: hands the decoded answer (interim heads, the head, its body) to the
 * {@link UpstreamRelay} of the client connection that opened it, and tells it when the connection fails first.
 */
final class UpstreamHandler extends ChannelInboundHandlerAdapter {
    private final UpstreamRelay relay;
    private boolean done;
    private boolean switched;
    /** An interim (1xx) head was relayed: the decoder's empty end that follows it is not the answer's end. */
    private boolean interim;

    UpstreamHandler(UpstreamRelay relay) {
        this.relay = relay;
    }

    /** A kept-alive connection takes its next request. */
    void reset() {
        done = false;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!switched && !relay.carries(ctx.channel())) {
            ReferenceCountUtil.release(msg); // an idle connection has nothing to say: whatever it sends ends it
            ctx.close();
            return;
        }
        if (switched) {
            ReferenceCountUtil.release(msg); // the codec's empty end of the 101: the tunnel takes over from here
            return;
        }
        if (interim && msg instanceof LastHttpContent c) {
            interim = false;
            c.release();
            return;
        }
        if (msg instanceof HttpResponse r && r.decoderResult().isSuccess() && r.status().codeClass() == HttpStatusClass.INFORMATIONAL
                && r.status().code() != 101) {
            interim = true;
            relay.upstreamInterim(r);
            return;
        }
        if (msg instanceof HttpResponse r) {
            if (!r.decoderResult().isSuccess()) {
                ReferenceCountUtil.release(msg);
                done = true;
                relay.upstreamFailed("malformed response (" + r.decoderResult().cause() + ")");
                ctx.close();
                return;
            }
            if (r.status().code() == 101) {
                done = true;
                switched = true;
                // before the head is written: the write may complete, and the tunnel be built, right away
                ctx.channel().config().setAutoRead(false);
                relay.upstreamResponse(r);
                return;
            }
            relay.upstreamResponse(r);
        }
        if (msg instanceof HttpContent c) {
            if (c instanceof LastHttpContent) done = true;
            relay.upstreamContent(c);
        } else if (!(msg instanceof HttpResponse)) {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (relay.carries(ctx.channel())) relay.upstreamReadComplete();
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (ctx.channel().isWritable()) relay.upstreamWritable();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (!done && relay.carries(ctx.channel())) relay.upstreamFailed("connection closed");
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!done && relay.carries(ctx.channel())) relay.upstreamFailed(cause.toString());
        done = true;
        ctx.close();
    }
}
