package dev.cloche.wire;

import dev.cloche.api.InvalidRequestException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads JSON like Go's decoder: unknown keys ignored, missing or null keys are the zero value, keys matched
 * case-insensitively (exact match preferred). Type errors are {@link InvalidRequestException}s.
 */
final class JsonIn {
    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    private JsonIn() {}

    static JsonNode parse(String text) {
        try {
            JsonNode n = MAPPER.readTree(text);
            if (n == null || n.isMissingNode()) {
                throw new InvalidRequestException("empty JSON body");
            }
            return n;
        } catch (JacksonException e) {
            throw new InvalidRequestException("invalid JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** The value under {@code key}, absent when missing or JSON null (a nil pointer in Go). */
    static Optional<JsonNode> field(JsonNode obj, String key) {
        if (obj == null || !obj.isObject()) {
            return Optional.empty();
        }
        JsonNode v = obj.get(key);
        if (v == null) {
            for (String name : obj.propertyNames()) {
                if (name.equalsIgnoreCase(key)) {
                    v = obj.get(name);
                    break;
                }
            }
        }
        return v == null || v.isNull() ? Optional.empty() : Optional.of(v);
    }

    static void requireObject(JsonNode n, String what) {
        if (!n.isObject()) {
            throw new InvalidRequestException(what + " must be a JSON object");
        }
    }

    static String str(JsonNode obj, String key) {
        return field(obj, key).map(v -> asStr(v, key)).orElse("");
    }

    static String asStr(JsonNode v, String key) {
        if (!v.isString()) {
            throw new InvalidRequestException(key + ": expected a string");
        }
        return v.stringValue();
    }

    static long num(JsonNode obj, String key) {
        return field(obj, key).map(v -> asNum(v, key)).orElse(0L);
    }

    static long asNum(JsonNode v, String key) {
        if (!v.isIntegralNumber() || !v.canConvertToLong()) {
            throw new InvalidRequestException(key + ": expected an integer");
        }
        return v.longValue();
    }

    /** An unsigned integer field that must fit the given bit width (u8, u16, u32, u64 held as a non-negative long). */
    static long unsigned(JsonNode obj, String key, int bits) {
        long v = num(obj, key);
        if (v < 0 || (bits < 64 && v >= (1L << bits))) {
            throw new InvalidRequestException(key + ": out of range: " + v);
        }
        return v;
    }

    static Optional<Long> optNum(JsonNode obj, String key) {
        return field(obj, key).map(v -> asNum(v, key));
    }

    static boolean bool(JsonNode obj, String key) {
        return field(obj, key).map(v -> {
            if (!v.isBoolean()) {
                throw new InvalidRequestException(key + ": expected a boolean");
            }
            return v.booleanValue();
        }).orElse(false);
    }

    static List<JsonNode> array(JsonNode obj, String key) {
        return field(obj, key).map(v -> asArray(v, key)).orElse(List.of());
    }

    static List<JsonNode> asArray(JsonNode v, String key) {
        if (!v.isArray()) {
            throw new InvalidRequestException(key + ": expected an array");
        }
        List<JsonNode> out = new ArrayList<>();
        v.values().forEach(out::add);
        return out;
    }

    static List<String> strings(JsonNode obj, String key) {
        return array(obj, key).stream().map(v -> v.isNull() ? "" : asStr(v, key)).toList();
    }

    static Map<String, String> strMap(JsonNode obj, String key) {
        return field(obj, key).map(v -> asStrMap(v, key)).orElse(Map.of());
    }

    static Map<String, String> asStrMap(JsonNode v, String key) {
        if (!v.isObject()) {
            throw new InvalidRequestException(key + ": expected an object");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : v.properties()) {
            out.put(e.getKey(), e.getValue().isNull() ? "" : asStr(e.getValue(), key));
        }
        return out;
    }

    /** A nested object field; missing means an empty object (Go's zero struct). */
    static JsonNode object(JsonNode obj, String key) {
        Optional<JsonNode> v = field(obj, key);
        if (v.isPresent() && !v.get().isObject()) {
            throw new InvalidRequestException(key + ": expected an object");
        }
        return v.orElse(MAPPER.createObjectNode());
    }

    static JsonNode emptyObject() {
        return MAPPER.createObjectNode();
    }
}
