package dev.cloche.wire;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Garden's route table (routes/routes.go). The server dispatches with {@link #match}; the client builds request
 * paths with {@link #path}. A {@code :param} matches exactly one path segment; there is no trailing-slash variant.
 */
public enum Route {
    PING("GET", "/ping"),
    CAPACITY("GET", "/capacity"),
    LIST("GET", "/containers"),
    CREATE("POST", "/containers"),
    BULK_INFO("GET", "/containers/bulk_info"),
    BULK_METRICS("GET", "/containers/bulk_metrics"),
    INFO("GET", "/containers/:handle/info"),
    DESTROY("DELETE", "/containers/:handle"),
    STOP("PUT", "/containers/:handle/stop"),
    STREAM_IN("PUT", "/containers/:handle/files"),
    STREAM_OUT("GET", "/containers/:handle/files"),
    CURRENT_BANDWIDTH_LIMITS("GET", "/containers/:handle/limits/bandwidth"),
    CURRENT_CPU_LIMITS("GET", "/containers/:handle/limits/cpu"),
    CURRENT_DISK_LIMITS("GET", "/containers/:handle/limits/disk"),
    CURRENT_MEMORY_LIMITS("GET", "/containers/:handle/limits/memory"),
    NET_IN("POST", "/containers/:handle/net/in"),
    NET_OUT("POST", "/containers/:handle/net/out"),
    BULK_NET_OUT("POST", "/containers/:handle/net/out/bulk"),
    RUN("POST", "/containers/:handle/processes"),
    ATTACH("GET", "/containers/:handle/processes/:pid"),
    STDOUT("GET", "/containers/:handle/processes/:pid/attaches/:streamid/stdout"),
    STDERR("GET", "/containers/:handle/processes/:pid/attaches/:streamid/stderr"),
    SET_GRACE_TIME("PUT", "/containers/:handle/grace_time"),
    PROPERTIES("GET", "/containers/:handle/properties"),
    PROPERTY("GET", "/containers/:handle/properties/:key"),
    SET_PROPERTY("PUT", "/containers/:handle/properties/:key"),
    REMOVE_PROPERTY("DELETE", "/containers/:handle/properties/:key"),
    METRICS("GET", "/containers/:handle/metrics");

    private final String method;
    private final String pattern;
    private final List<String> segments;

    Route(String method, String pattern) {
        this.method = method;
        this.pattern = pattern;
        this.segments = List.of(pattern.substring(1).split("/"));
    }

    public String method() {
        return method;
    }

    public String pattern() {
        return pattern;
    }

    /** The names of the {@code :params}, in path order. */
    public List<String> paramNames() {
        return segments.stream().filter(s -> s.startsWith(":")).map(s -> s.substring(1)).toList();
    }

    /** The raw (escaped) request path with the params filled in, in path order; each param is one escaped segment. */
    public String path(String... params) {
        List<String> names = paramNames();
        if (params.length != names.size()) {
            throw new IllegalArgumentException(name() + " needs params " + names);
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (String s : segments) {
            sb.append('/');
            sb.append(s.startsWith(":") ? escapeSegment(params[i++]) : s);
        }
        return sb.toString();
    }

    /** The outcome of matching a request line against the table. */
    public sealed interface Match permits Found, NotFound, MethodNotAllowed {}

    /** A route and its percent-decoded params. */
    public record Found(Route route, Map<String, String> params) implements Match {
        public Found {
            Objects.requireNonNull(route, "route");
            params = Map.copyOf(params);
        }

        public String param(String name) {
            String v = params.get(name);
            if (v == null) {
                throw new IllegalArgumentException(route + " has no param " + name);
            }
            return v;
        }
    }

    /** No route has this path: Go answers {@code 404 page not found} as text/plain. */
    public record NotFound() implements Match {}

    /** The path exists for other methods: Go answers 405 with {@code Allow}. */
    public record MethodNotAllowed(List<String> allow) implements Match {
        public MethodNotAllowed {
            allow = List.copyOf(allow);
        }
    }

    /** Matches a method and a raw path (no query string) against the table. */
    public static Match match(String method, String rawPath) {
        Objects.requireNonNull(method, "method");
        if (!rawPath.startsWith("/")) {
            return new NotFound();
        }
        String[] parts = rawPath.substring(1).split("/", -1);
        Set<String> allow = new LinkedHashSet<>();
        for (Route r : values()) {
            Optional<Map<String, String>> params = r.matchPath(parts);
            if (params.isEmpty()) {
                continue;
            }
            if (r.method.equals(method)) {
                return new Found(r, params.get());
            }
            allow.add(r.method);
        }
        return allow.isEmpty() ? new NotFound() : new MethodNotAllowed(new ArrayList<>(allow));
    }

    private Optional<Map<String, String>> matchPath(String[] parts) {
        if (parts.length != segments.size()) {
            return Optional.empty();
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < parts.length; i++) {
            String s = segments.get(i);
            if (s.startsWith(":")) {
                if (parts[i].isEmpty()) {
                    return Optional.empty();
                }
                Optional<String> decoded = unescape(parts[i]);
                if (decoded.isEmpty()) {
                    return Optional.empty();
                }
                params.put(s.substring(1), decoded.get());
            } else if (!s.equals(parts[i])) {
                return Optional.empty();
            }
        }
        return Optional.of(params);
    }

    /** Percent-decoding of one path segment ('+' stays '+'); malformed escapes do not match, as in Go. */
    static Optional<String> unescape(String s) {
        if (s.indexOf('%') < 0) {
            return Optional.of(s);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < b.length; i++) {
            if (b[i] == '%') {
                if (i + 2 >= b.length) {
                    return Optional.empty();
                }
                int hi = Character.digit(b[i + 1], 16);
                int lo = Character.digit(b[i + 2], 16);
                if (hi < 0 || lo < 0) {
                    return Optional.empty();
                }
                out.write(hi << 4 | lo);
                i += 2;
            } else {
                out.write(b[i]);
            }
        }
        return Optional.of(out.toString(StandardCharsets.UTF_8));
    }

    /** Escapes one segment: unreserved and sub-delims stay, everything else (including '/') is %XX. */
    static String escapeSegment(String s) {
        StringBuilder sb = new StringBuilder();
        for (byte c : s.getBytes(StandardCharsets.UTF_8)) {
            int ch = c & 0xff;
            if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9')
                    || "-._~!$&'()*+,;=:@".indexOf(ch) >= 0) {
                sb.append((char) ch);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(ch >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(ch & 15, 16)));
            }
        }
        return sb.toString();
    }
}
