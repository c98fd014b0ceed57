package dev.cloche.image.manifest;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.image.Descriptor;
import dev.cloche.image.Digest;
import dev.cloche.image.ImageConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads manifests, indexes and image configs (OCI and Docker schema 2) into values, refusing what Cloche cannot run:
 * schema 1, foreign or non-distributable layers, unknown layer types, configs of non-images and non-linux/amd64
 * images. Every refusal is an {@link InvalidRequestException} naming the image.
 */
public final class ManifestParser {
    public static final String OS = "linux";
    public static final String ARCHITECTURE = "amd64";

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private ManifestParser() {}

    /**
     * Parses a manifest or index. The document's own {@code mediaType} wins; {@code declaredType} (a Content-Type or a
     * descriptor's media type) serves when it has none, and the shape when neither says.
     */
    public static Manifest parse(String image, String declaredType, byte[] bytes) {
        JsonNode root = tree(image, "manifest", bytes);
        String type = root.path("mediaType").asString("");
        if (type.isEmpty()) type = MediaTypes.bare(declaredType);
        if (root.path("schemaVersion").asInt(0) == 1 || MediaTypes.SCHEMA1.contains(type)) {
            throw invalid(image, "it has a Docker schema 1 manifest, which Cloche does not support "
                    + "(push it again with a current Docker or skopeo to get schema 2 or OCI)");
        }
        if (!MediaTypes.INDEXES.contains(type) && !MediaTypes.MANIFESTS.contains(type)) {
            if (root.has("manifests")) type = MediaTypes.OCI_INDEX;
            else if (root.has("config") && root.has("layers")) type = MediaTypes.OCI_MANIFEST;
            else throw invalid(image, "its manifest has the unsupported media type '" + type + "'");
        }
        if (MediaTypes.INDEXES.contains(type)) {
            List<Manifest.Entry> entries = new ArrayList<>();
            for (JsonNode m : array(image, root, "manifests")) {
                JsonNode platform = m.path("platform");
                entries.add(new Manifest.Entry(descriptor(image, m), platform.path("os").asString(""),
                        platform.path("architecture").asString(""), platform.path("variant").asString("")));
            }
            return new Manifest.Index(type, entries);
        }
        Descriptor config = descriptor(image, root.path("config"));
        if (!MediaTypes.CONFIGS.contains(config.mediaType())) {
            throw invalid(image, "it is not a container image (its config has the media type '" + config.mediaType() + "')");
        }
        List<Descriptor> layers = new ArrayList<>();
        for (JsonNode l : array(image, root, "layers")) {
            Descriptor layer = descriptor(image, l);
            if (MediaTypes.foreignLayer(layer.mediaType()) || !l.path("urls").isMissingNode() && !l.path("urls").isEmpty()) {
                throw invalid(image, "its layer " + layer.digest() + " is a foreign (non-distributable) layer ("
                        + layer.mediaType() + "), which Cloche does not download");
            }
            if (MediaTypes.layerCompression(layer.mediaType()).isEmpty()) {
                throw invalid(image, "its layer " + layer.digest() + " has the unsupported media type '"
                        + layer.mediaType() + "' (accepted: tar, tar+gzip, tar+zstd)");
            }
            layers.add(layer);
        }
        return new Manifest.Image(type, config, layers);
    }

    /** The linux/amd64 entry of an index (the first, if several); an error listing the platforms if there is none. */
    public static Descriptor pickPlatform(String image, Manifest.Index index) {
        for (Manifest.Entry e : index.manifests()) {
            if (e.os().equals(OS) && e.architecture().equals(ARCHITECTURE)) return e.descriptor();
        }
        String platforms = index.manifests().stream().map(Manifest.Entry::platform).distinct().collect(Collectors.joining(", "));
        throw invalid(image, "it has no " + OS + "/" + ARCHITECTURE + " image (it has: "
                + (platforms.isEmpty() ? "none" : platforms) + ")");
    }

    /** Parses an image config blob: platform, {@code rootfs.diff_ids} and {@code config.Env/User/WorkingDir}. */
    public static ImageConfigBlob parseConfig(String image, byte[] bytes) {
        JsonNode root = tree(image, "config", bytes);
        String os = root.path("os").asString("");
        String architecture = root.path("architecture").asString("");
        if (!os.isEmpty() && !os.equals(OS) || !architecture.isEmpty() && !architecture.equals(ARCHITECTURE)) {
            throw invalid(image, "it is a " + os + "/" + architecture + " image; Cloche runs " + OS + "/" + ARCHITECTURE);
        }
        JsonNode rootfs = root.path("rootfs");
        if (!rootfs.path("type").asString("layers").equals("layers")) {
            throw invalid(image, "its config has the rootfs type '" + rootfs.path("type").asString() + "' (expected 'layers')");
        }
        List<Digest> diffIds = new ArrayList<>();
        for (JsonNode d : array(image, rootfs, "diff_ids")) {
            diffIds.add(digest(image, d.asString("")));
        }
        JsonNode c = root.path("config");
        List<String> env = new ArrayList<>();
        JsonNode envNode = c.path("Env");
        if (envNode.isArray()) {
            for (JsonNode e : envNode) {
                if (!e.isString()) throw invalid(image, "its config's Env holds a non-string");
                env.add(e.stringValue());
            }
        } else if (!envNode.isMissingNode() && !envNode.isNull()) {
            throw invalid(image, "its config's Env is not a list");
        }
        return new ImageConfigBlob(os, architecture, diffIds,
                new ImageConfig(env, text(image, c, "User"), text(image, c, "WorkingDir")));
    }

    /** Parses a content descriptor (media type, digest, size, annotations). */
    public static Descriptor descriptor(String image, JsonNode d) {
        if (!d.isObject()) throw invalid(image, "a descriptor is missing or not an object");
        String mediaType = d.path("mediaType").asString("");
        if (mediaType.isEmpty()) throw invalid(image, "a descriptor has no mediaType");
        Digest digest = digest(image, d.path("digest").asString(""));
        JsonNode size = d.path("size");
        if (!size.isIntegralNumber() || !size.canConvertToLong() || size.longValue() < 0) {
            throw invalid(image, "the descriptor of " + digest + " has no valid size");
        }
        Map<String, String> annotations = new LinkedHashMap<>();
        JsonNode a = d.path("annotations");
        if (a.isObject()) {
            for (Map.Entry<String, JsonNode> e : a.properties()) annotations.put(e.getKey(), e.getValue().asString(""));
        }
        return new Descriptor(mediaType, digest, size.longValue(), annotations);
    }

    /** Parses JSON into a tree; not JSON or not an object is an error naming the image and what was read. */
    public static JsonNode tree(String image, String what, byte[] bytes) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JacksonException e) {
            throw invalid(image, "its " + what + " is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (root == null || !root.isObject()) throw invalid(image, "its " + what + " is not a JSON object");
        return root;
    }

    private static Iterable<JsonNode> array(String image, JsonNode parent, String field) {
        JsonNode a = parent.path(field);
        if (!a.isArray()) throw invalid(image, "'" + field + "' is missing or not a list");
        return a.values();
    }

    private static String text(String image, JsonNode parent, String field) {
        JsonNode t = parent.path(field);
        if (t.isMissingNode() || t.isNull()) return "";
        if (!t.isString()) throw invalid(image, "its config's " + field + " is not a string");
        return t.stringValue();
    }

    private static Digest digest(String image, String s) {
        try {
            return Digest.parse(s);
        } catch (InvalidRequestException e) {
            throw invalid(image, e.getMessage());
        }
    }

    static InvalidRequestException invalid(String image, String why) {
        return new InvalidRequestException("image " + image + " cannot be used: " + why);
    }
}
