package dev.cloche.soak;

import java.util.List;

/**
 * A sampled series' least-squares line and the verdict on it. The rule, "flat within noise": after the warm-up
 * samples are dropped, the line's rise over the measured span, |slope × span|, is at most the larger of twice the
 * residuals' standard deviation (what the samples scatter by anyway) and {@value #TOLERANCE_PERCENT}% of the series'
 * mean (a change that small cannot be told from the daemon's normal breathing: GC timing, thread pools).
 *
 * @param slopePerMinute the fitted change per minute, in the series' unit
 * @param rise slope × the measured span
 * @param noise the allowed rise: max(2 σ of the residuals, 5% of the mean)
 */
record Trend(int samples, double mean, double slopePerMinute, double rise, double noise, boolean flat) {
    static final double TOLERANCE_PERCENT = 5;

    /** Fits {@code samples} ({@code t} in seconds) after dropping those before {@code warmupSeconds}. */
    static Trend of(List<Sample> samples, double warmupSeconds) {
        List<Sample> kept = samples.stream().filter(s -> s.seconds() >= warmupSeconds).toList();
        if (kept.size() < 3) kept = samples; // too short a run to drop its start
        int n = kept.size();
        if (n < 2) throw new IllegalArgumentException("a trend needs two samples, got " + n);
        double mt = kept.stream().mapToDouble(Sample::seconds).average().orElseThrow();
        double mv = kept.stream().mapToDouble(Sample::value).average().orElseThrow();
        double sxy = 0;
        double sxx = 0;
        for (Sample s : kept) {
            sxy += (s.seconds() - mt) * (s.value() - mv);
            sxx += (s.seconds() - mt) * (s.seconds() - mt);
        }
        double slope = sxx == 0 ? 0 : sxy / sxx;
        double residuals = 0;
        for (Sample s : kept) {
            double r = s.value() - (mv + slope * (s.seconds() - mt));
            residuals += r * r;
        }
        double sigma = n > 2 ? Math.sqrt(residuals / (n - 2)) : 0;
        double span = kept.getLast().seconds() - kept.getFirst().seconds();
        double rise = slope * span;
        double noise = Math.max(2 * sigma, TOLERANCE_PERCENT / 100 * Math.abs(mv));
        return new Trend(n, mv, slope * 60, rise, noise, Math.abs(rise) <= noise);
    }

    /** One sample: seconds since the series started, and the value. */
    record Sample(double seconds, double value) {}
}
