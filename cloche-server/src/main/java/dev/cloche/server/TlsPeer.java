package dev.cloche.server;

import dev.cloche.api.Caller;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import java.nio.channels.ClosedChannelException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * After the {@link SslHandler}: once the handshake succeeds, the connection's caller becomes a {@code tls} caller
 * with the client certificate's subject (on mTLS) before any request is read; a failed handshake (no certificate,
 * a certificate of another CA, plain HTTP on the TLS port) is logged as a refused connection. The SslHandler
 * closes the connection itself.
 */
final class TlsPeer extends ChannelInboundHandlerAdapter {
    static final String NAME = "tls-peer";

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            Caller c = GardenServer.caller(ctx.channel());
            if (done.isSuccess()) {
                Caller tls = new Caller("tls", c.address(), c.uid(), c.pid(), Optional.empty());
                GardenServer.caller(ctx.channel(), subject(ctx).map(tls::withSubject).orElse(tls));
            } else if (!(done.cause() instanceof ClosedChannelException)) {
                // a connection closed mid-handshake (a port probe) is no refusal
                Refusals.connection(c, "TLS handshake failed: " + rootCause(done.cause()));
            }
        }
        ctx.fireUserEventTriggered(evt);
    }

    /** The JDK wraps the telling reason ("PKIX path building failed", "Empty client certificate chain"). */
    private static String rootCause(Throwable t) {
        Throwable r = t;
        while (r.getCause() != null && r.getCause() != r) {
            r = r.getCause();
        }
        return r.getMessage() == null ? r.toString() : r.getMessage();
    }

    private static Optional<String> subject(ChannelHandlerContext ctx) {
        SslHandler ssl = ctx.pipeline().get(SslHandler.class);
        try {
            Certificate[] chain = ssl.engine().getSession().getPeerCertificates();
            return chain.length > 0 && chain[0] instanceof X509Certificate x
                    ? Optional.of(x.getSubjectX500Principal().getName()) : Optional.empty();
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty(); // TLS without client certificates
        }
    }
}
