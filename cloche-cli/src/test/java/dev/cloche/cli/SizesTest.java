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
}
