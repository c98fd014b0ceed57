package dev.cloche.client;

import dev.cloche.api.GardenError;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.UnixDomainSocketAddress;
import java.util.Objects;
import java.util.Optional;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * Opens the client's connections to one server: plain (TCP or unix socket) or TLS (TCP), each carrying the bearer
 * token (if any) on every request it writes. The TLS handshake happens at open, so a refused certificate fails the
 * call that opened the connection with the reason.
 */
final class Dialer {
    private final SocketAddress address;
    private final Optional<SSLSocketFactory> tls;
    private final String authorization;

    private Dialer(SocketAddress address, Optional<SSLSocketFactory> tls, String authorization) {
        this.address = address;
        this.tls = tls;
        this.authorization = authorization;
    }

    static Dialer of(SocketAddress address, ClientSecurity security) {
        Objects.requireNonNull(address, "address");
        if (security.tls().isPresent() && address instanceof UnixDomainSocketAddress) {
            throw new IllegalArgumentException("TLS is for a TCP server; a unix socket is guarded by its file mode");
        }
        return new Dialer(address, security.tls().map(TlsSockets::factory),
                security.token().map(t -> "Authorization: Bearer " + t + "\r\n").orElse(""));
    }

    SocketAddress address() {
        return address;
    }

    HttpConnection open() {
        if (tls.isEmpty()) {
            return HttpConnection.open(address, authorization);
        }
        InetSocketAddress inet = (InetSocketAddress) address;
        SSLSocket s = null;
        try {
            Socket plain = new Socket();
            plain.setTcpNoDelay(true); // a request is several TLS records: Nagle would hold the later ones for an ACK
            plain.connect(inet);
            // the host as the caller named it: SNI, and what the certificate must name
            s = (SSLSocket) tls.get().createSocket(plain, inet.getHostString(), inet.getPort(), true);
            SSLParameters p = s.getSSLParameters();
            p.setEndpointIdentificationAlgorithm("HTTPS"); // the certificate must name the host we asked for
            s.setSSLParameters(p);
            s.startHandshake();
            return HttpConnection.over(s, authorization);
        } catch (IOException e) {
            if (s != null) {
                try {
                    s.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw GardenError.internal("cannot connect to " + address + " over TLS: " + e.getMessage(), e);
        }
    }
}
