package dev.cloche.web;

import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The page's JSON: values out, request bodies in, and every error as {@code {"error":{"kind","message"}}}. */
final class WebJson {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    private WebJson() {
    }

    static String write(Object value) {
        return MAPPER.writeValueAsString(value);
    }

    static WebAnswer.Full ok(Object value) {
        return WebAnswer.json(200, write(value));
    }

    /** A request body as a JSON object; anything else is the caller's mistake, said as such. */
    static JsonNode readObject(String body) {
        try {
            JsonNode n = MAPPER.readTree(body.isBlank() ? "{}" : body);
            if (!n.isObject()) {
                throw new InvalidRequestException("the request body must be a JSON object");
            }
            return n;
        } catch (JacksonException e) {
            throw new InvalidRequestException("the request body is not JSON: " + e.getOriginalMessage());
        }
    }

    /** An error as JSON, its HTTP status from its kind (the same statuses the Garden API uses). */
    static WebAnswer.Full error(GardenException e) {
        return error(status(e.kind()), e.kind().name(), e.getMessage());
    }

    static WebAnswer.Full error(int status, String kind, String message) {
        Map<String, String> body = new LinkedHashMap<>();
        body.put("kind", kind);
        body.put("message", message == null ? "" : message);
        return WebAnswer.json(status, write(Map.of("error", body)));
    }

    static int status(GardenException.Kind kind) {
        return switch (kind) {
            case CONTAINER_NOT_FOUND, PROCESS_NOT_FOUND -> 404;
            case EXECUTABLE_NOT_FOUND, INVALID_REQUEST -> 400;
            case ALREADY_EXISTS, CONFLICT -> 409;
            case SERVICE_UNAVAILABLE -> 503;
            case RESOURCE_EXHAUSTED -> 429;
            default -> 500;
        };
    }
}
