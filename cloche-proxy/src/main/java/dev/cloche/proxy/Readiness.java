package dev.cloche.proxy;

/**
 * How the proxy knows an environment's server is ready to serve: a TCP port that accepts connections (the default,
 * on the template's port), or an HTTP path on a port answering 2xx or 3xx.
 */
public sealed interface Readiness {
    int port();

    /** Ready once {@code port} accepts a TCP connection. */
    record Tcp(int port) implements Readiness {
        public Tcp {
            if (port < 1 || port > 65535) throw new IllegalArgumentException("readiness: bad port " + port);
        }
    }

    /** Ready once {@code GET path} on {@code port} answers 2xx or 3xx. */
    record Http(int port, String path) implements Readiness {
        public Http {
            if (port < 1 || port > 65535) throw new IllegalArgumentException("readiness: bad port " + port);
            if (!path.startsWith("/") || path.chars().anyMatch(c -> c <= ' ' || c == 0x7f)) {
                throw new IllegalArgumentException("readiness: the HTTP path must start with / and hold no spaces or controls: " + path);
            }
        }
    }

    /** Whether the server at {@code host} passes a check: the one network side effect of readiness, fakeable in tests. */
    interface Probe {
        boolean passes(String host, Readiness check);
    }
}
