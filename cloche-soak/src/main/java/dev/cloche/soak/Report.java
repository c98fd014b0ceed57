package dev.cloche.soak;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/** The soak's report: one markdown file and one JSON file per run, named by the parts that ran. */
final class Report {
    private Report() {}

    static String num(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) return String.format(Locale.ROOT, "%,d", (long) v);
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%,.0f" : "%.3g", v);
    }

    /** Before, after and the difference of every count, the ones left over in bold. */
    static String censusTable(Map<String, Long> before, Map<String, Long> after) {
        Set<String> keys = new LinkedHashSet<>(before.keySet());
        keys.addAll(after.keySet());
        StringBuilder md = new StringBuilder("| census | before | after | left over |\n| --- | --- | --- | --- |\n");
        for (String k : keys) {
            long b = before.getOrDefault(k, 0L);
            long a = after.getOrDefault(k, 0L);
            md.append("| ").append(k).append(" | ").append(b).append(" | ").append(a).append(" | ")
                    .append(a > b ? "**" + (a - b) + "**" : "0").append(" |\n");
        }
        return md.toString();
    }

    /** Writes {@code <out>/<parts>.md} and {@code .json}; returns the markdown path. */
    static Path write(SoakConfig cfg, List<Part> parts, String header) throws IOException {
        Files.createDirectories(cfg.out());
        String name = "soak-" + String.join("-", parts.stream().map(Part::name).toList());
        StringBuilder md = new StringBuilder("# make soak: ").append(String.join(", ", parts.stream().map(Part::name).toList()))
                .append("\n\n").append(header).append("\n\n");
        for (Part p : parts) {
            md.append(p.markdown()).append("\n").append(p.passed() ? "**Passed.**" : "**Failed:** " + String.join("; ", p.problems()))
                    .append("\n\n");
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("header", header);
        for (Part p : parts) {
            Map<String, Object> part = new LinkedHashMap<>(p.json());
            part.put("passed", p.passed());
            part.put("problems", p.problems());
            json.put(p.name(), part);
        }
        Path mdFile = cfg.out().resolve(name + ".md");
        Files.writeString(mdFile, md);
        JsonMapper mapper = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        Files.writeString(cfg.out().resolve(name + ".json"), mapper.writeValueAsString(json));
        return mdFile;
    }
}
