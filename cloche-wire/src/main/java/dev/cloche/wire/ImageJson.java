package dev.cloche.wire;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.ImagePruneReport;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.LayerProgress;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * The JSON of Cloche's image routes ({@link ImageRoute}), for server and client: snake_case keys, instants as
 * ISO-8601 text, every value plus "\n". Decoding is as lenient as Garden's (unknown keys ignored, missing keys are
 * zero); a value of the wrong type is an {@link InvalidRequestException}.
 */
public final class ImageJson {
    private ImageJson() {}

    // ---- requests

    /** A pull's body: the reference and its registry credentials (the password travels only here, never in a URL). */
    public static String encodePullRequest(ImageRef ref) {
        return JsonOut.line(new JsonObject().put("uri", ref.uri()).put("username", ref.username())
                .put("password", ref.password()));
    }

    public static ImageRef decodePullRequest(String body) {
        JsonNode n = body.isBlank() ? JsonIn.emptyObject() : JsonIn.parse(body);
        JsonIn.requireObject(n, "pull request");
        return new ImageRef(JsonIn.str(n, "uri"), JsonIn.str(n, "username"), JsonIn.str(n, "password"));
    }

    // ---- answers

    /** The cached images: a JSON array of image objects. */
    public static String encodeImages(List<ImageInfo> images) {
        return JsonOut.line(images.stream().map(ImageJson::image).toList());
    }

    public static List<ImageInfo> decodeImages(String body) {
        JsonNode n = JsonIn.parse(body);
        if (n.isNull()) {
            return List.of();
        }
        List<ImageInfo> out = new ArrayList<>();
        for (JsonNode i : JsonIn.asArray(n, "images")) {
            out.add(decodeImage(i));
        }
        return out;
    }

    public static String encodeImage(ImageInfo i) {
        return JsonOut.line(image(i));
    }

    public static ImageInfo decodeImage(String body) {
        return decodeImage(JsonIn.parse(body));
    }

    public static String encodePruneReport(ImagePruneReport r) {
        return JsonOut.line(new JsonObject().put("images", r.images()).put("layers", r.layers()).put("bytes", r.bytes()));
    }

    public static ImagePruneReport decodePruneReport(String body) {
        JsonNode n = JsonIn.parse(body);
        JsonIn.requireObject(n, "prune report");
        return new ImagePruneReport(count(n, "images"), count(n, "layers"), nonNegative(n, "bytes"));
    }

    // ---- the pull's stream of records

    /** One line of a pull's answer. */
    public sealed interface PullRecord permits Progress, Pulled, Failed {}

    /** A layer's progress; any number of these come first. */
    public record Progress(LayerProgress progress) implements PullRecord {}

    /** The pulled image: the last record of a pull that succeeded. */
    public record Pulled(ImageInfo image) implements PullRecord {}

    /** The error that ended the pull after the answer's head was sent: the last record of a pull that failed. */
    public record Failed(GardenException error) implements PullRecord {}

    /** {@code {"progress":{...}}} plus "\n". */
    public static String encodeProgress(LayerProgress p) {
        return JsonOut.line(new JsonObject().put("progress", new JsonObject().put("digest", p.digest())
                .put("size", p.size()).put("bytes", p.bytes()).put("cached", p.cached()).put("done", p.done())));
    }

    /** {@code {"image":{...}}} plus "\n". */
    public static String encodePulled(ImageInfo i) {
        return JsonOut.line(new JsonObject().put("image", image(i)));
    }

    /** {@code {"error":{...}}} plus "\n": Garden's error object through the one {@link ErrorCodec}, with its kind. */
    public static String encodeFailed(GardenException e) {
        return JsonOut.line(new JsonObject().put("error", ErrorCodec.streamError(e)));
    }

    /**
     * One record of a pull's answer. A line that is not one of the three records is an internal error: the server
     * sent something this client does not speak.
     */
    public static PullRecord decodePullRecord(String line) {
        try {
            JsonNode n = JsonIn.parse(line);
            Optional<JsonNode> progress = JsonIn.field(n, "progress");
            if (progress.isPresent()) {
                JsonNode p = progress.get();
                JsonIn.requireObject(p, "progress");
                return new Progress(new LayerProgress(JsonIn.str(p, "digest"), nonNegative(p, "size"),
                        nonNegative(p, "bytes"), JsonIn.bool(p, "cached"), JsonIn.bool(p, "done")));
            }
            Optional<JsonNode> image = JsonIn.field(n, "image");
            if (image.isPresent()) {
                return new Pulled(decodeImage(image.get()));
            }
            Optional<JsonNode> error = JsonIn.field(n, "error");
            if (error.isPresent() && error.get().isObject()) {
                return new Failed(ErrorCodec.decodeStreamError(error.get()));
            }
        } catch (InvalidRequestException malformed) {
            // the server's answer is malformed, not the caller's request
            throw GardenError.internal("bad pull record (" + malformed.getMessage() + "): " + line.strip());
        }
        throw GardenError.internal("bad pull record: " + line.strip());
    }

    // ---- values

    static JsonObject image(ImageInfo i) {
        return new JsonObject().put("id", i.id()).put("reference", i.reference()).put("layers", i.layers())
                .put("bytes", i.bytes()).put("holders", i.holders()).put("last_used", i.lastUsed().toString());
    }

    static ImageInfo decodeImage(JsonNode n) {
        JsonIn.requireObject(n, "image");
        String used = JsonIn.str(n, "last_used");
        Instant lastUsed;
        try {
            lastUsed = used.isEmpty() ? Instant.EPOCH : Instant.parse(used);
        } catch (DateTimeParseException e) {
            throw new InvalidRequestException("last_used: not an ISO-8601 instant: " + used);
        }
        return new ImageInfo(JsonIn.str(n, "id"), JsonIn.str(n, "reference"), count(n, "layers"),
                nonNegative(n, "bytes"), JsonIn.strings(n, "holders"), lastUsed);
    }

    private static int count(JsonNode n, String key) {
        return (int) JsonIn.unsigned(n, key, 31);
    }

    private static long nonNegative(JsonNode n, String key) {
        return JsonIn.unsigned(n, key, 64); // a non-negative long
    }
}
