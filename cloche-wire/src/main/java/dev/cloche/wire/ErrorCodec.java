package dev.cloche.wire;

import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.ProcessNotFoundException;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.api.UnrecoverableException;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * The one mapping between {@link GardenException}s and Garden's error answers: HTTP status plus
 * {@code {"Type","Message","Handle","ProcessID","Binary"}}. Go clients rebuild typed errors from Type and
 * Handle/ProcessID; generic errors ({@code "Type":""}) carry their {@link GardenException.Kind} in
 * {@link #KIND_HEADER} so a Cloche client can rebuild the same class.
 */
public final class ErrorCodec {
    private ErrorCodec() {}

    /** Response header naming the {@link GardenException.Kind} of every error answer. */
    public static final String KIND_HEADER = "X-Cloche-Error-Kind";

    /** An encoded error answer. */
    public record Encoded(int status, String kind, String body) {}

    public static Encoded encode(GardenException e) {
        return new Encoded(status(e.kind()), e.kind().name(), JsonOut.line(errorObject(e)));
    }

    public static int status(GardenException.Kind kind) {
        return switch (kind) {
            case CONTAINER_NOT_FOUND, PROCESS_NOT_FOUND -> 404;
            case EXECUTABLE_NOT_FOUND, SERVICE_UNAVAILABLE, UNRECOVERABLE, INTERNAL -> 500;
            case ALREADY_EXISTS, CONFLICT -> 409;
            case INVALID_REQUEST -> 400;
            case RESOURCE_EXHAUSTED -> 503;
        };
    }

    static JsonObject errorObject(GardenException e) {
        String type = switch (e) {
            case ContainerNotFoundException c -> "ContainerNotFoundError";
            case ProcessNotFoundException p -> "ProcessNotFoundError";
            case ExecutableNotFoundException x -> "ExecutableNotFoundError";
            case ServiceUnavailableException s -> "ServiceUnavailableError";
            case UnrecoverableException u -> "UnrecoverableError";
            case GardenError g -> "";
        };
        String handle = e instanceof ContainerNotFoundException c ? c.handle() : "";
        String pid = e instanceof ProcessNotFoundException p ? p.processId() : "";
        return new JsonObject().put("Type", type).put("Message", e.getMessage() == null ? "" : e.getMessage())
                .put("Handle", handle).put("ProcessID", pid).put("Binary", "");
    }

    /**
     * An error inside a stream whose head has already gone out (a failed image pull): Garden's error object plus
     * {@code "Kind"}, which no header can carry any more.
     */
    static JsonObject streamError(GardenException e) {
        return errorObject(e).put("Kind", e.kind().name());
    }

    /** Rebuilds the exception of a {@link #streamError}. */
    static GardenException decodeStreamError(JsonNode n) {
        String kind = JsonIn.str(n, "Kind");
        return decodeObject(n, status(GardenException.Kind.INTERNAL), kind.isEmpty() ? Optional.empty() : Optional.of(kind));
    }

    /**
     * Rebuilds the exception of an error answer. {@code kindHeader} is {@link #KIND_HEADER}'s value if present;
     * for {@code "Type":""} it wins over the status. A body that is not Garden's error JSON becomes an internal
     * error quoting it (Go: {@code bad response}).
     */
    public static GardenException decode(int status, Optional<String> kindHeader, String body) {
        JsonNode n;
        try {
            n = JsonIn.parse(body);
        } catch (GardenException notJson) {
            return GardenError.internal("bad response (HTTP " + status + "): " + body.strip());
        }
        if (!n.isObject()) {
            return GardenError.internal("bad response (HTTP " + status + "): " + body.strip());
        }
        return decodeObject(n, status, kindHeader);
    }

    static GardenException decodeObject(JsonNode n, int status, Optional<String> kindHeader) {
        String message = JsonIn.str(n, "Message");
        return switch (JsonIn.str(n, "Type")) {
            case "ContainerNotFoundError" -> new ContainerNotFoundException(JsonIn.str(n, "Handle"));
            case "ProcessNotFoundError" -> new ProcessNotFoundException(JsonIn.str(n, "ProcessID"));
            case "ExecutableNotFoundError" -> new ExecutableNotFoundException(message);
            case "ServiceUnavailableError" -> new ServiceUnavailableException(message);
            case "UnrecoverableError" -> new UnrecoverableException(message);
            default -> GardenError.of(genericKind(status, kindHeader), message);
        };
    }

    private static GardenException.Kind genericKind(int status, Optional<String> kindHeader) {
        Optional<GardenException.Kind> fromHeader = kindHeader.flatMap(h -> {
            try {
                GardenException.Kind k = GardenException.Kind.valueOf(h.strip());
                return switch (k) {
                    case ALREADY_EXISTS, INVALID_REQUEST, CONFLICT, RESOURCE_EXHAUSTED, INTERNAL -> Optional.of(k);
                    default -> Optional.empty(); // typed kinds travel as Type, never as a generic error
                };
            } catch (IllegalArgumentException unknown) {
                return Optional.empty();
            }
        });
        return fromHeader.orElseGet(() -> switch (status) {
            case 400 -> GardenException.Kind.INVALID_REQUEST;
            case 409 -> GardenException.Kind.CONFLICT;
            case 503 -> GardenException.Kind.RESOURCE_EXHAUSTED;
            default -> GardenException.Kind.INTERNAL;
        });
    }
}
