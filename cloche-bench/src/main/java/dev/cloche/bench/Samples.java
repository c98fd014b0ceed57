package dev.cloche.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Timings of one scenario on one contender, in nanoseconds. */
final class Samples {
    private final List<Long> nanos = new ArrayList<>();

    void add(long n) {
        nanos.add(n);
    }

    int size() {
        return nanos.size();
    }

    double medianMs() {
        return percentileMs(50);
    }

    double p90Ms() {
        return percentileMs(90);
    }

    private double percentileMs(int p) {
        if (nanos.isEmpty()) {
            return Double.NaN;
        }
        List<Long> sorted = new ArrayList<>(nanos);
        Collections.sort(sorted);
        int idx = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, idx)) / 1e6;
    }

    static String ms(double v) {
        return Double.isNaN(v) ? "–" : String.format(Locale.ROOT, "%.1f", v);
    }
}
