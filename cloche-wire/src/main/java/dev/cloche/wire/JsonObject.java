package dev.cloche.wire;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A JSON object under construction, written by {@link JsonOut} with its keys in insertion order, as Go writes a
 * struct's fields (a {@link Map} value is written with sorted keys, as Go writes a map). Values are
 * {@link JsonObject}, {@link Map}, {@link List}, {@link String}, {@link Number}, {@link Boolean} or {@code null}
 * (JSON null). The {@code *Omit} methods implement Go's {@code omitempty} for scalars, strings, slices and maps.
 */
final class JsonObject {
    final LinkedHashMap<String, Object> fields = new LinkedHashMap<>();

    JsonObject put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    JsonObject strOmit(String key, String value) {
        return value.isEmpty() ? this : put(key, value);
    }

    JsonObject numOmit(String key, long value) {
        return value == 0 ? this : put(key, value);
    }

    JsonObject boolOmit(String key, boolean value) {
        return value ? put(key, true) : this;
    }

    JsonObject listOmit(String key, Collection<?> value) {
        return value.isEmpty() ? this : put(key, List.copyOf(value));
    }

    JsonObject mapOmit(String key, Map<String, String> value) {
        return value.isEmpty() ? this : put(key, value);
    }

    /** A Go nil slice is {@code null}; we cannot tell nil from empty, so empty is written as null. */
    JsonObject listOrNull(String key, Collection<?> value) {
        return put(key, value.isEmpty() ? null : List.copyOf(value));
    }

    JsonObject mapOrNull(String key, Map<String, String> value) {
        return put(key, value.isEmpty() ? null : value);
    }
}
