package dev.cloche.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.cloche.soak.Trend.Sample;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class StatsAndTrendTest {

    @Test
    void medianOfOddAndEvenCounts() {
        assertThat(Stats.median(List.of(5.0, 1.0, 3.0))).isEqualTo(3.0);
        assertThat(Stats.median(List.of(4.0, 1.0, 3.0, 2.0))).isEqualTo(2.5);
        assertThatThrownBy(() -> Stats.median(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void percentileIsNearestRank() {
        List<Double> hundred = new ArrayList<>();
        for (int i = 100; i >= 1; i--) hundred.add((double) i);
        assertThat(Stats.percentile(hundred, 99)).isEqualTo(99.0);
        assertThat(Stats.percentile(hundred, 100)).isEqualTo(100.0);
        assertThat(Stats.percentile(List.of(7.0, 3.0), 50)).isEqualTo(3.0);
        assertThat(Stats.percentile(List.of(7.0), 99)).isEqualTo(7.0);
    }

    @Test
    void slopeIsTheLeastSquaresLine() {
        // v = 100 + 2 per second exactly: slope 120 per minute, no residual
        List<Sample> line = new ArrayList<>();
        for (int t = 0; t <= 600; t += 10) line.add(new Sample(t, 100 + 2.0 * t));
        Trend trend = Trend.of(line, 0);
        assertThat(trend.slopePerMinute()).isCloseTo(120, within(1e-9));
        assertThat(trend.rise()).isCloseTo(1200, within(1e-6));
        assertThat(trend.samples()).isEqualTo(61);
        assertThat(trend.flat()).isFalse(); // 1200 over a mean of 700 is no noise
    }

    @Test
    void noiseWithoutGrowthIsFlat() {
        Random r = new Random(22);
        List<Sample> noisy = new ArrayList<>();
        for (int t = 0; t <= 600; t += 10) noisy.add(new Sample(t, 1000 + r.nextGaussian() * 50));
        assertThat(Trend.of(noisy, 60).flat()).isTrue();
    }

    @Test
    void aSmallSteadyLeakAboveTheNoiseIsNotFlat() {
        // +2 fds a minute for nine minutes on a base of about 210: a rise of 18, above 5% of the mean and the scatter
        List<Sample> leak = new ArrayList<>();
        for (int t = 0; t <= 600; t += 10) leak.add(new Sample(t, 200 + Math.floor(t / 30.0)));
        Trend trend = Trend.of(leak, 60);
        assertThat(trend.slopePerMinute()).isCloseTo(2, within(0.05));
        assertThat(trend.flat()).isFalse();
    }

    @Test
    void warmupSamplesAreDropped() {
        // a start-up climb, then flat: once the first minute is dropped the line is level
        List<Sample> s = new ArrayList<>();
        for (int t = 0; t <= 600; t += 10) s.add(new Sample(t, t < 60 ? 100 + 10 * t : 700));
        assertThat(Trend.of(s, 0).slopePerMinute()).isPositive();
        assertThat(Trend.of(s, 0).samples()).isEqualTo(61);
        assertThat(Trend.of(s, 60).samples()).isEqualTo(55);
        assertThat(Trend.of(s, 60).flat()).isTrue();
        assertThat(Trend.of(s, 60).slopePerMinute()).isZero();
    }
}
