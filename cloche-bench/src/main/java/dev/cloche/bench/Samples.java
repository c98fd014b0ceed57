package dev.cloche.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Measurements of one scenario on one contender (durations in ns, or any other unit the row declares). */
final class Samples {
    private final List<Double> values = new ArrayList<>();
    int errors;

    synchronized void add(double v) {
        values.add(v);
    }

    synchronized int size() {
        return values.size();
    }

    double median() {
        return percentile(50);
    }

    double p90() {
        return percentile(90);
    }

    synchronized double percentile(int p) {
        if (values.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, idx));
    }

    static String fmt(double v) {
        if (Double.isNaN(v)) {
            return "–";
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.0f" : Math.abs(v) >= 10 ? "%.1f" : "%.2f", v);
    }
}
