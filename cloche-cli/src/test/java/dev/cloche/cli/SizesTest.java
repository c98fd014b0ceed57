package dev.cloche.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SizesTest {
    @Test
    void parsesBinarySizes() {
        assertThat(Sizes.bytes("512")).isEqualTo(512);
        assertThat(Sizes.bytes("64K")).isEqualTo(64L << 10);
        assertThat(Sizes.bytes("64M")).isEqualTo(64L << 20);
        assertThat(Sizes.bytes("64MiB")).isEqualTo(64L << 20);
        assertThat(Sizes.bytes("1g")).isEqualTo(1L << 30);
        assertThatThrownBy(() -> Sizes.bytes("lots")).isInstanceOf(CommandLine.TypeConversionException.class);
        assertThatThrownBy(() -> Sizes.bytes("99999999999T")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @Test
    void parsesDurations() {
        assertThat(Sizes.duration("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Sizes.duration("30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(Sizes.duration("5m")).isEqualTo(Duration.ofMinutes(5));
        assertThat(Sizes.duration("2h")).isEqualTo(Duration.ofHours(2));
        assertThatThrownBy(() -> Sizes.duration("soon")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    @Test
    void printsHumanUnits() {
        assertThat(Sizes.human(100)).isEqualTo("100 B");
        assertThat(Sizes.human(64L << 20)).isEqualTo("64.0 MiB");
        assertThat(Sizes.human(1536)).isEqualTo("1.5 KiB");
    }

    @Test
    void printsSizesAndDurationsForPeople() {
        assertThat(Sizes.human(512)).isEqualTo("512 B");
        assertThat(Sizes.human(1536)).isEqualTo("1.5 KiB");
        assertThat(Sizes.human(64L << 20)).isEqualTo("64.0 MiB");
        assertThat(Sizes.human(Duration.ofMillis(850))).isEqualTo("850 ms");
        assertThat(Sizes.human(Duration.ofMillis(12_345))).isEqualTo("12.3 s");
        assertThat(Sizes.human(Duration.ofSeconds(245))).isEqualTo("4m 05s");
        assertThat(Sizes.human(Duration.ofMinutes(123))).isEqualTo("2h 03m");
    }

    @Test
    void metricsReadLikeAReport() {
        var m = new dev.cloche.api.ContainerMetrics(
                new dev.cloche.api.ContainerMetrics.MemoryStat(java.util.Map.of("hierarchical_memory_limit", 64L << 20, "total_rss", 1L << 20), 3L << 20),
                new dev.cloche.api.ContainerMetrics.CpuStat(2_500_000_000L, 2_000_000_000L, 500_000_000L),
                new dev.cloche.api.ContainerMetrics.DiskStat(5L << 20, 900, 1L << 20, 12), java.util.Optional.empty(),
                new dev.cloche.api.ContainerMetrics.PidStat(3, 10), Duration.ofSeconds(75), 0);
        assertThat(MetricsCommand.render(m)).contains("memory:    3.0 MiB of 64.0 MiB (rss 1.0 MiB, cache 0 B)",
                "cpu:       2.5 s (user 2.0 s, system 500 ms)", "disk:      1.0 MiB written, 12 inodes (5.0 MiB, 900 inodes with the image)",
                "network:   -", "processes: 3 of 10", "age:       1m 15s");
    }
}
