package dev.cloche.soak;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** The report's order statistics: nearest-rank percentiles over a copy of the values. */
final class Stats {
    private Stats() {}

    static double median(List<Double> values) {
        if (values.isEmpty()) throw new IllegalArgumentException("no values");
        List<Double> s = sorted(values);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
    }

    /** The nearest-rank percentile: the smallest value with at least {@code p}% of the values at or below it. */
    static double percentile(List<Double> values, double p) {
        if (values.isEmpty()) throw new IllegalArgumentException("no values");
        if (p <= 0 || p > 100) throw new IllegalArgumentException("percentile must be in (0, 100]: " + p);
        List<Double> s = sorted(values);
        int rank = (int) Math.ceil(p / 100 * s.size());
        return s.get(Math.max(rank, 1) - 1);
    }

    private static List<Double> sorted(List<Double> values) {
        List<Double> s = new ArrayList<>(values);
        Collections.sort(s);
        return s;
    }
}
