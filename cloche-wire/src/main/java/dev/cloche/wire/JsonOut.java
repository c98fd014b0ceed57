package dev.cloche.wire;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Renders values exactly like Go's {@code json.Encoder}: compact, HTML-safe escapes, one value plus "\n". */
final class JsonOut {
    private JsonOut() {}

    static String line(Object value) {
        StringBuilder sb = new StringBuilder();
        write(sb, value);
        return sb.append('\n').toString();
    }

    static void write(StringBuilder sb, Object v) {
        switch (v) {
            case null -> sb.append("null");
            case JsonObject o -> writeMap(sb, o.fields);
            case Map<?, ?> m -> writeMap(sb, new TreeMap<>(m)); // Go sorts map keys
            case List<?> l -> {
                sb.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) {
                        sb.append(',');
                    }
                    write(sb, l.get(i));
                }
                sb.append(']');
            }
            case String s -> string(sb, s);
            case Boolean b -> sb.append(b);
            case Number n -> sb.append(n.longValue());
            default -> throw new IllegalArgumentException("not a JSON value: " + v.getClass());
        }
    }

    private static void writeMap(StringBuilder sb, Map<?, ?> m) {
        sb.append('{');
        boolean first = true;
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            string(sb, (String) e.getKey());
            sb.append(':');
            write(sb, e.getValue());
        }
        sb.append('}');
    }

    static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                case '<', '>', '&', '\u2028', '\u2029' -> hex(sb, c);
                default -> {
                    if (c < 0x20) {
                        hex(sb, c);
                    } else if (Character.isSurrogate(c)) {
                        // a lone surrogate is invalid UTF-8 in Go: it becomes U+FFFD
                        if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                            sb.append(c).append(s.charAt(++i));
                        } else {
                            sb.append('\uFFFD');
                        }
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }

    private static void hex(StringBuilder sb, char c) {
        sb.append("\\u").append(String.format("%04x", (int) c));
    }
}
