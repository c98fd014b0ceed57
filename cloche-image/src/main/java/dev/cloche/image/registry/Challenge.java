package dev.cloche.image.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/** One {@code WWW-Authenticate} challenge: a scheme ({@code bearer}, {@code basic}, lowercased) and its parameters. */
record Challenge(String scheme, Map<String, String> params) {
    Challenge {
        params = Map.copyOf(params);
    }

    String param(String name) {
        return params.getOrDefault(name, "");
    }

    /** The first challenge of a supported scheme among a response's headers, bearer preferred over basic. */
    static Optional<Challenge> pick(List<String> headers) {
        List<Challenge> all = new ArrayList<>();
        for (String h : headers) all.addAll(parse(h));
        return all.stream().filter(c -> c.scheme.equals("bearer")).findFirst()
                .or(() -> all.stream().filter(c -> c.scheme.equals("basic")).findFirst())
                .or(() -> all.stream().findFirst());
    }

    /** RFC 7235: {@code Scheme k=v, k="quoted, \"v\"", Other k=v}; a header may carry several challenges. */
    static List<Challenge> parse(String header) {
        List<Challenge> out = new ArrayList<>();
        int i = 0;
        int n = header.length();
        String scheme = null;
        Map<String, String> params = new LinkedHashMap<>();
        while (i < n) {
            while (i < n && (header.charAt(i) == ' ' || header.charAt(i) == ',')) i++;
            int start = i;
            while (i < n && header.charAt(i) != ' ' && header.charAt(i) != '=' && header.charAt(i) != ',') i++;
            if (start == i) break;
            String token = header.substring(start, i);
            int j = i;
            while (j < n && header.charAt(j) == ' ') j++;
            if (j < n && header.charAt(j) == '=' && scheme != null) {
                // a parameter of the current challenge
                i = j + 1;
                while (i < n && header.charAt(i) == ' ') i++;
                StringBuilder value = new StringBuilder();
                if (i < n && header.charAt(i) == '"') {
                    i++;
                    while (i < n && header.charAt(i) != '"') {
                        if (header.charAt(i) == '\\' && i + 1 < n) i++;
                        value.append(header.charAt(i++));
                    }
                    i++;
                } else {
                    while (i < n && header.charAt(i) != ',' && header.charAt(i) != ' ') value.append(header.charAt(i++));
                }
                params.put(token.toLowerCase(Locale.ROOT), value.toString());
            } else {
                if (scheme != null) out.add(new Challenge(scheme, params));
                scheme = token.toLowerCase(Locale.ROOT);
                params = new LinkedHashMap<>();
            }
        }
        if (scheme != null) out.add(new Challenge(scheme, params));
        return out;
    }
}
