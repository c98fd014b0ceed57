package dev.cloche.daemon.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The test parser is strict: it refuses what the text format does not allow, so the metrics tests can fail. */
class PrometheusTextTest {
    @Test
    void parsesFamiliesLabelsAndEscapes() {
        PrometheusText.Exposition e = PrometheusText.parse("""
                # HELP x_total Some help
                # TYPE x_total counter
                x_total{a="1",b="q\\"uote\\\\"} 3.0
                # TYPE h_seconds histogram
                h_seconds_bucket{le="0.1"} 1
                h_seconds_bucket{le="+Inf"} 2
                h_seconds_count 2
                h_seconds_sum 0.3
                # TYPE g gauge
                g NaN
                """);
        assertThat(e.value("x_total", "a", "1", "b", "q\"uote\\")).isEqualTo(3.0);
        assertThat(e.value("h_seconds_count")).isEqualTo(2.0);
        assertThat(e.types()).containsEntry("h_seconds", "histogram");
    }

    @Test
    void refusesWhatTheFormatDoesNotAllow() {
        assertThatThrownBy(() -> PrometheusText.parse("undeclared 1\n")).hasMessageContaining("no declared family");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na{b=\"1\"} 1\na{b=\"1\"} 2\n"))
                .hasMessageContaining("repeated series");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na{b=1} 1\n")).hasMessageContaining("not quoted");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na one\n")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\n# TYPE a gauge\n")).hasMessageContaining("second TYPE");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\n# TYPE b gauge\na 1\nb 1\na{x=\"y\"} 1\n"))
                .hasMessageContaining("not contiguous");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a-b gauge\n")).hasMessageContaining("bad metric name");
        assertThatThrownBy(() -> PrometheusText.parse("# TYPE a gauge\na 1")).hasMessageContaining("newline");
    }
}
