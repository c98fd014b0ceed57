package dev.cloche.testkit.registry;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A loopback TCP relay in front of a server (a registry), for injecting its death: it passes everything, cuts every
 * connection once the server has sent a given number of bytes on it (a registry dying mid-blob), or takes connections
 * only to close them (a registry that is gone). The mode can change at any time; connections already cut stay cut.
 */
public final class CuttingRelay implements AutoCloseable {
    private static final long PASS = Long.MAX_VALUE;
    private static final long DOWN = -1;

    private final ServerSocket server;
    private final InetSocketAddress upstream;
    private final AtomicLong cutAfter = new AtomicLong(PASS);
    private final AtomicLong cuts = new AtomicLong();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;

    /** A relay on a free loopback port to {@code 127.0.0.1:upstreamPort}, passing everything. */
    public CuttingRelay(int upstreamPort) {
        try {
            server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on loopback", e);
        }
        upstream = new InetSocketAddress(InetAddress.getLoopbackAddress(), upstreamPort);
        acceptor = Thread.ofVirtual().name("relay-accept").start(this::accept);
    }

    /** {@code 127.0.0.1:<port>}, as an image reference's registry. */
    public String address() {
        return "127.0.0.1:" + server.getLocalPort();
    }

    /** Everything passes. */
    public void pass() {
        cutAfter.set(PASS);
    }

    /** Every connection, new or open, is closed once the server has sent it more than {@code bytes}. */
    public void cutAfter(long bytes) {
        cutAfter.set(bytes);
    }

    /** New connections are accepted and closed at once, and open ones are closed: the server is gone. */
    public void down() {
        cutAfter.set(DOWN);
        open.forEach(CuttingRelay::closeQuietly);
    }

    /** How many connections were cut mid-answer so far: a test proves its cut happened. */
    public long cuts() {
        return cuts.get();
    }

    private void accept() {
        while (!server.isClosed()) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            if (cutAfter.get() == DOWN) {
                closeQuietly(client);
                continue;
            }
            Thread.ofVirtual().name("relay-conn").start(() -> relay(client));
        }
    }

    private void relay(Socket client) {
        open.add(client);
        try (client; Socket up = new Socket()) {
            open.add(up);
            up.connect(upstream, 5_000);
            Thread toServer = Thread.ofVirtual().start(() -> copy(client, up, false));
            copy(up, client, true);
            closeQuietly(up);
            closeQuietly(client);
            toServer.join();
        } catch (IOException e) {
            // the server or the client went: the other side sees the close
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            open.remove(client);
        }
    }

    /** Copies until either side ends; {@code counted}: the server's side, cut past the bound. */
    private void copy(Socket from, Socket to, boolean counted) {
        byte[] buf = new byte[8192];
        long sent = 0;
        try (InputStream in = from.getInputStream()) {
            OutputStream out = to.getOutputStream();
            int n;
            while ((n = in.read(buf)) >= 0) {
                long bound = cutAfter.get();
                if (counted && sent + n > bound) {
                    int part = (int) Math.max(0, bound - sent);
                    out.write(buf, 0, part);
                    out.flush();
                    cuts.incrementAndGet();
                    // a reset, not a clean close: what a peer that died mid-answer looks like
                    to.setSoLinger(true, 0);
                    closeQuietly(to);
                    closeQuietly(from);
                    return;
                }
                out.write(buf, 0, n);
                out.flush();
                sent += n;
            }
            to.shutdownOutput();
        } catch (IOException e) {
            closeQuietly(to);
        } finally {
            open.remove(from);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException e) {
            // closing anyway
        }
        open.forEach(CuttingRelay::closeQuietly);
        try {
            acceptor.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
