package dev.cloche.daemon.metrics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A strict parser of Prometheus' text exposition format (0.0.4), for tests: every line is a HELP, a TYPE, a comment
 * or a sample; a family's TYPE comes once and before its samples, which are contiguous; sample names belong to a
 * declared family (with the suffixes its type allows); label names and values are well formed; no series repeats.
 * Anything else throws {@link IllegalArgumentException} naming the line.
 */
final class PrometheusText {
    private static final Pattern NAME = Pattern.compile("[a-zA-Z_:][a-zA-Z0-9_:]*");
    private static final Pattern LABEL = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> TYPES = Set.of("counter", "gauge", "histogram", "summary", "untyped");

    /** One series: its sample name and labels (sorted). */
    record Series(String name, Map<String, String> labels) {
        static Series of(String name, String... kv) {
            Map<String, String> l = new TreeMap<>();
            for (int i = 0; i < kv.length; i += 2) {
                l.put(kv[i], kv[i + 1]);
            }
            return new Series(name, l);
        }
    }

    /** The parsed exposition: family types and every sample's value. */
    record Exposition(Map<String, String> types, Map<Series, Double> samples) {
        double value(String name, String... labels) {
            Double v = samples.get(Series.of(name, labels));
            if (v == null) {
                throw new AssertionError("no series " + Series.of(name, labels));
            }
            return v;
        }

        /** The value, or 0 when the series does not exist yet (a counter not yet moved). */
        double valueOrZero(String name, String... labels) {
            return samples.getOrDefault(Series.of(name, labels), 0.0);
        }

        List<Series> named(String name) {
            return samples.keySet().stream().filter(s -> s.name().equals(name)).toList();
        }
    }

    private PrometheusText() {
    }

    static Exposition parse(String text) {
        Map<String, String> types = new LinkedHashMap<>();
        Set<String> helped = new HashSet<>();
        Map<Series, Double> samples = new LinkedHashMap<>();
        Set<String> closedFamilies = new HashSet<>();
        String current = null;
        if (!text.isEmpty() && !text.endsWith("\n")) {
            throw new IllegalArgumentException("the exposition must end with a newline");
        }
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                continue;
            }
            try {
                if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
                    String[] p = line.substring(7).split(" ", 2);
                    String family = p[0];
                    require(NAME.matcher(family).matches(), "bad metric name " + family);
                    if (line.startsWith("# TYPE ")) {
                        require(p.length == 2 && TYPES.contains(p[1]), "bad type");
                        require(!types.containsKey(family), "second TYPE for " + family);
                        require(!samples.keySet().stream().anyMatch(s -> familyOf(s.name(), Map.of(family, p[1])) != null),
                                "TYPE after samples of " + family);
                        types.put(family, p[1]);
                    } else {
                        require(helped.add(family), "second HELP for " + family);
                    }
                    continue;
                }
                if (line.startsWith("#")) {
                    continue;
                }
                Sample s = sample(line);
                String family = familyOf(s.series().name(), types);
                require(family != null, "sample of no declared family: " + s.series().name());
                if (!family.equals(current)) {
                    require(!closedFamilies.contains(family), "samples of " + family + " are not contiguous");
                    if (current != null) {
                        closedFamilies.add(current);
                    }
                    current = family;
                }
                require(samples.put(s.series(), s.value()) == null, "repeated series " + s.series());
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("line " + n + " '" + line + "': " + e.getMessage(), e);
            }
        }
        return new Exposition(types, samples);
    }

    /** The family a sample name belongs to, given its type's suffixes; null if none. */
    private static String familyOf(String sample, Map<String, String> types) {
        if (types.containsKey(sample)) {
            String t = types.get(sample);
            return t.equals("histogram") ? null : sample;
        }
        for (Map.Entry<String, String> e : types.entrySet()) {
            List<String> suffixes = switch (e.getValue()) {
                case "counter" -> List.of("_total", "_created");
                case "histogram" -> List.of("_bucket", "_sum", "_count", "_created");
                case "summary" -> List.of("_sum", "_count", "_created");
                default -> List.of();
            };
            for (String suffix : suffixes) {
                if (sample.equals(e.getKey() + suffix)) {
                    return e.getKey();
                }
            }
        }
        return null;
    }

    private record Sample(Series series, double value) {}

    private static Sample sample(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        require(NAME.matcher(name).matches(), "bad metric name " + name);
        Map<String, String> labels = new TreeMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (line.charAt(i) != '}') {
                int eq = line.indexOf('=', i);
                require(eq > i, "label without '='");
                String label = line.substring(i, eq);
                require(LABEL.matcher(label).matches(), "bad label name " + label);
                require(line.charAt(eq + 1) == '"', "label value not quoted");
                StringBuilder value = new StringBuilder();
                int j = eq + 2;
                while (line.charAt(j) != '"') {
                    char c = line.charAt(j);
                    if (c == '\\') {
                        char esc = line.charAt(++j);
                        value.append(switch (esc) {
                            case '\\' -> '\\';
                            case '"' -> '"';
                            case 'n' -> '\n';
                            default -> throw new IllegalArgumentException("bad escape \\" + esc);
                        });
                    } else {
                        value.append(c);
                    }
                    j++;
                }
                require(labels.put(label, value.toString()) == null, "repeated label " + label);
                i = j + 1;
                if (line.charAt(i) == ',') {
                    i++;
                } else {
                    require(line.charAt(i) == '}', "expected ',' or '}'");
                }
            }
            i++;
        }
        require(i < line.length() && line.charAt(i) == ' ', "no value");
        String[] rest = line.substring(i + 1).split(" ");
        require(rest.length == 1 || rest.length == 2, "expected value [timestamp]");
        double value = switch (rest[0]) {
            case "+Inf" -> Double.POSITIVE_INFINITY;
            case "-Inf" -> Double.NEGATIVE_INFINITY;
            case "NaN" -> Double.NaN;
            default -> Double.parseDouble(rest[0]);
        };
        if (rest.length == 2) {
            Long.parseLong(rest[1]);
        }
        return new Sample(new Series(name, labels), value);
    }

    private static void require(boolean ok, String why) {
        if (!ok) {
            throw new IllegalArgumentException(why);
        }
    }

    /** For histogram checks: the bucket counts of one series of {@code family}, by {@code le}. */
    static Map<Double, Double> buckets(Exposition e, String family, Map<String, String> labels) {
        Map<Double, Double> out = new TreeMap<>();
        for (Map.Entry<Series, Double> s : e.samples().entrySet()) {
            if (!s.getKey().name().equals(family + "_bucket")) {
                continue;
            }
            Map<String, String> l = new HashMap<>(s.getKey().labels());
            String le = l.remove("le");
            if (l.equals(labels)) {
                out.put(le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le), s.getValue());
            }
        }
        return out;
    }

    static List<String> familyNames(Exposition e) {
        return new ArrayList<>(e.types().keySet());
    }
}
