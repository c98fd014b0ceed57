package dev.cloche.web;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/** What the router answers: a whole body, or a stream (a tar download) written chunk by chunk. */
public sealed interface WebAnswer {
    int status();

    String contentType();

    Map<String, String> headers();

    /** A complete body. */
    record Full(int status, String contentType, Map<String, String> headers, byte[] body) implements WebAnswer {
        public Full {
            Objects.requireNonNull(contentType, "contentType");
            headers = Map.copyOf(headers);
            Objects.requireNonNull(body, "body");
        }

        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /** A body read from {@code body} until its end; the writer closes it. */
    record Streamed(int status, String contentType, Map<String, String> headers, InputStream body) implements WebAnswer {
        public Streamed {
            Objects.requireNonNull(contentType, "contentType");
            headers = Map.copyOf(headers);
            Objects.requireNonNull(body, "body");
        }
    }

    static Full json(int status, String json) {
        return new Full(status, "application/json; charset=utf-8", Map.of(), json.getBytes(StandardCharsets.UTF_8));
    }

    static Full html(int status, String html) {
        return new Full(status, "text/html; charset=utf-8", Map.of(), html.getBytes(StandardCharsets.UTF_8));
    }

    static Full noContent() {
        return new Full(204, "text/plain", Map.of(), new byte[0]);
    }

    /** This answer with one more header. */
    default WebAnswer withHeader(String name, String value) {
        Map<String, String> h = new LinkedHashMap<>(headers());
        h.put(name, value);
        return switch (this) {
            case Full f -> new Full(f.status(), f.contentType(), h, f.body());
            case Streamed s -> new Streamed(s.status(), s.contentType(), h, s.body());
        };
    }
}
