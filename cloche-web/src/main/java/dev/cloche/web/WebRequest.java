package dev.cloche.web;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One HTTP request, free of Netty: method, decoded path, query parameters, headers (lower-case names) and the
 * aggregated body.
 */
public record WebRequest(String method, String path, Map<String, List<String>> query, Map<String, String> headers,
                         byte[] body) {
    public WebRequest {
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(path, "path");
        query = Map.copyOf(query);
        headers = Map.copyOf(headers);
        Objects.requireNonNull(body, "body");
    }

    public static WebRequest of(String method, String path, Map<String, List<String>> query, Map<String, String> headers) {
        return new WebRequest(method, path, query, headers, new byte[0]);
    }

    public String header(String name) {
        return headers.getOrDefault(name.toLowerCase(Locale.ROOT), "");
    }

    public Optional<String> param(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.getFirst());
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** A state change: what CSRF protection guards. */
    public boolean changesState() {
        return !method.equals("GET") && !method.equals("HEAD") && !method.equals("OPTIONS");
    }
}
