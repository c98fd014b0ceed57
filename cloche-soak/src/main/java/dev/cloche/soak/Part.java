package dev.cloche.soak;

import java.util.List;
import java.util.Map;

/**
 * One part's outcome for the report: whether its goals held, its markdown section and its JSON object.
 *
 * @param problems each goal that was missed, in words; empty when the part passed
 */
record Part(String name, List<String> problems, String markdown, Map<String, Object> json) {
    boolean passed() {
        return problems.isEmpty();
    }
}
