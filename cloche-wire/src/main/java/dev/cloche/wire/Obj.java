package dev.cloche.wire;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An ordered JSON object under construction. Values are {@link Obj}, {@link Map}, {@link List}, {@link String},
 * {@link Number}, {@link Boolean} or {@code null} (JSON null). The {@code *Omit} methods implement Go's
 * {@code omitempty} for scalars, strings, slices and maps.
 */
final class Obj {
    final LinkedHashMap<String, Object> fields = new LinkedHashMap<>();

    Obj put(String key, Object value) {
        fields.put(key, value);
        return this;
    }

    Obj strOmit(String key, String value) {
        return value.isEmpty() ? this : put(key, value);
    }

    Obj numOmit(String key, long value) {
        return value == 0 ? this : put(key, value);
    }

    Obj boolOmit(String key, boolean value) {
        return value ? put(key, true) : this;
    }

    Obj listOmit(String key, Collection<?> value) {
        return value.isEmpty() ? this : put(key, List.copyOf(value));
    }

    Obj mapOmit(String key, Map<String, String> value) {
        return value.isEmpty() ? this : put(key, value);
    }

    /** A Go nil slice is {@code null}; we cannot tell nil from empty, so empty is written as null. */
    Obj listOrNull(String key, Collection<?> value) {
        return put(key, value.isEmpty() ? null : List.copyOf(value));
    }

    Obj mapOrNull(String key, Map<String, String> value) {
        return put(key, value.isEmpty() ? null : value);
    }
}
