package dev.cloche.wire;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The port layer's HTTP routes, beside Garden's {@link Route} table. Every path starts with {@value #PREFIX}, a
 * segment no Garden route uses, so the two tables can never clash. Same matching rules as {@link Route}.
 */
public enum PortLayerRoute {
    LIST("GET", "/portlayer/containers"),
    CONFIG("GET", "/portlayer/containers/:id"),
    COMMIT("PUT", "/portlayer/containers/:id"),
    DESTROY("DELETE", "/portlayer/containers/:id"),
    HANDLE("GET", "/portlayer/containers/:id/handle"),
    STATE("GET", "/portlayer/containers/:id/state"),
    COPY_OUT("GET", "/portlayer/containers/:id/files"),
    EXEC("POST", "/portlayer/containers/:id/processes"),
    SIGNAL("POST", "/portlayer/processes/:pid/signal");

    public static final String PREFIX = "/portlayer/";

    private final String method;
    private final List<String> segments;

    PortLayerRoute(String method, String pattern) {
        this.method = method;
        this.segments = List.of(pattern.substring(1).split("/"));
    }

    public String method() {
        return method;
    }

    /** The escaped request path with the params filled in, in path order. */
    public String path(String... params) {
        StringBuilder sb = new StringBuilder();
        int i = 0;
        for (String s : segments) {
            sb.append('/').append(s.startsWith(":") ? Route.escapeSegment(params[i++]) : s);
        }
        if (i != params.length) {
            throw new IllegalArgumentException(name() + " takes " + i + " params");
        }
        return sb.toString();
    }

    /** A matched route and its decoded params, or the methods the path allows (empty: no such path). */
    public record Match(Optional<PortLayerRoute> route, Map<String, String> params, Set<String> allow) {
        public String param(String name) {
            return params.get(name);
        }
    }

    public static boolean handles(String rawPath) {
        return rawPath.startsWith(PREFIX) || rawPath.equals("/portlayer");
    }

    public static Match match(String method, String rawPath) {
        String[] parts = rawPath.substring(1).split("/", -1);
        Set<String> allow = new LinkedHashSet<>();
        for (PortLayerRoute r : values()) {
            Optional<Map<String, String>> params = r.matchPath(parts);
            if (params.isEmpty()) {
                continue;
            }
            if (r.method.equals(method)) {
                return new Match(Optional.of(r), params.get(), Set.of());
            }
            allow.add(r.method);
        }
        return new Match(Optional.empty(), Map.of(), allow);
    }

    private Optional<Map<String, String>> matchPath(String[] parts) {
        if (parts.length != segments.size()) {
            return Optional.empty();
        }
        Map<String, String> params = new LinkedHashMap<>();
        for (int i = 0; i < parts.length; i++) {
            String s = segments.get(i);
            if (s.startsWith(":")) {
                Optional<String> v = parts[i].isEmpty() ? Optional.empty() : Route.unescape(parts[i]);
                if (v.isEmpty()) {
                    return Optional.empty();
                }
                params.put(s.substring(1), v.get());
            } else if (!s.equals(parts[i])) {
                return Optional.empty();
            }
        }
        return Optional.of(params);
    }
}
