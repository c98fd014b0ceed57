package dev.cloche.server;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/** Small HTTP helpers shared by the handlers. */
final class Http {
    private Http() {}

    /** Go's http.TimeFormat (two-digit day, always GMT). */
    private static final DateTimeFormatter DATE =
            DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.US);

    static String date() {
        return DATE.format(ZonedDateTime.now(ZoneOffset.UTC));
    }

    /**
     * The head of a hijacked success answer, written as raw bytes (the codec is already gone): HTTP/1.1, chunked
     * framing announced but never used, and no Connection: close (garden-protocol §7.6).
     */
    static ByteBuf hijackHead(int status, String reason, boolean json) {
        String head = "HTTP/1.1 " + status + " " + reason + "\r\n"
                + (json ? "Content-Type: application/json\r\n" : "")
                + "Date: " + date() + "\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n";
        return Unpooled.copiedBuffer(head, StandardCharsets.US_ASCII);
    }

    /** A complete answer with a real Content-Length, as raw bytes (errors on hijacked routes). */
    static ByteBuf rawResponse(Answer answer) {
        byte[] body = answer.body().getBytes(StandardCharsets.UTF_8);
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(answer.status()).append(' ')
                .append(HttpResponseStatus.valueOf(answer.status()).reasonPhrase()).append("\r\n")
                .append("Content-Type: ").append(answer.contentType()).append("\r\n");
        answer.headers().forEach((name, value) -> head.append(name).append(": ").append(value).append("\r\n"));
        head.append("Date: ").append(date()).append("\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n\r\n");
        ByteBuf buf = Unpooled.buffer(head.length() + body.length);
        buf.writeCharSequence(head, StandardCharsets.US_ASCII);
        buf.writeBytes(body);
        return buf;
    }

    /**
     * First handler of every pipeline: wakes threads that wait for the channel to become writable again (or to
     * close), so blocking writers honour Netty's backpressure without polling.
     */
    static final class Writability extends ChannelInboundHandlerAdapter {
        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            signal();
            ctx.fireChannelWritabilityChanged();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            signal();
            ctx.fireChannelInactive();
        }

        private void signal() {
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** Blocks (never call on the event loop) while the channel is open but not writable; false once closed. */
        boolean awaitWritable(Channel ch) {
            lock.lock();
            try {
                while (ch.isActive() && !ch.isWritable()) {
                    changed.awaitUninterruptibly();
                }
                return ch.isActive();
            } finally {
                lock.unlock();
            }
        }

        static Writability of(Channel ch) {
            return (Writability) ch.pipeline().get(GardenServer.GATE);
        }
    }
}
