package dev.cloche.proxy;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * The readiness checks over plain sockets: a TCP connect, or one {@code GET} (HTTP/1.0, closed after the status
 * line) whose status must be 2xx or 3xx. Short timeouts: a check that cannot tell now fails, and is polled again.
 */
final class SocketProbe implements Readiness.Probe {
    private static final int CONNECT_MILLIS = 200;
    private static final int ANSWER_MILLIS = 1000;

    @Override
    public boolean passes(String host, Readiness check) {
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, check.port()), CONNECT_MILLIS);
            return switch (check) {
                case Readiness.Tcp t -> true;
                case Readiness.Http(int port, String path) -> httpOk(s, host, port, path);
            };
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean httpOk(Socket s, String host, int port, String path) throws IOException {
        s.setSoTimeout(ANSWER_MILLIS);
        OutputStream out = s.getOutputStream();
        out.write(("GET " + path + " HTTP/1.0\r\nHost: " + host + ":" + port + "\r\nUser-Agent: cloche-proxy-readiness\r\n"
                + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // "HTTP/1.x NNN": the status is all we need
        byte[] head = s.getInputStream().readNBytes(12);
        String line = new String(head, StandardCharsets.US_ASCII);
        if (!line.startsWith("HTTP/1.") || line.length() < 12) return false;
        char c = line.charAt(9);
        return c == '2' || c == '3';
    }
}
