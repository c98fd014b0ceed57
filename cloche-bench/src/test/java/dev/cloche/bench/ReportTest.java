package dev.cloche.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.bench.Report.Row;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {

    private static Samples of(double... v) {
        Samples s = new Samples();
        for (double d : v) s.add(d);
        return s;
    }

    @Test
    void medianAndP90AreNearestRankPercentiles() {
        Samples s = of(5, 1, 4, 2, 3, 10, 9, 8, 7, 6);
        assertThat(s.median()).isEqualTo(5);
        assertThat(s.p90()).isEqualTo(9);
        assertThat(new Samples().median()).isNaN();
    }

    @Test
    void ratiosAreClochesMedianOverTheOthersAndGoalsAreJudgedByDirection() {
        Row time = new Row("exec", "exec", "ms", false, of(13, 13, 13), Optional.of(of(10, 10, 10)),
                Optional.of(of(130, 130, 130)), Optional.of(1.3), Optional.of(4.0), "");
        assertThat(time.ratioRaw()).contains(1.3);
        assertThat(time.ratioPodman()).contains(0.1);
        assertThat(Report.goal(time)).contains("≤ 1.30× raw: **met**").contains("(10.00×): **met**");

        Row rate = new Row("stream", "stream", "MiB/s", true, of(70), Optional.of(of(100)), Optional.empty(),
                Optional.of(0.8), Optional.empty(), "");
        assertThat(rate.ratioRaw()).contains(0.7);
        assertThat(rate.costRaw().orElseThrow()).isCloseTo(1 / 0.7, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(Report.goal(rate)).isEqualTo("≥ 0.80× raw: **missed**");
    }

    @Test
    void tableShowsErrorsAndDashesForMissingContenders() {
        Samples c = of(2);
        c.errors = 3;
        String t = Report.table(List.of(new Row("d", "density", "KiB", false, c, Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.empty(), "note")));
        assertThat(t).contains("| density — note | KiB | 2.00 / 2.00 (3 errors) | – | – | – | – |");
    }

    @Test
    void chartIsAPngWithOneGroupPerRatioRow(@TempDir Path dir) throws Exception {
        System.setProperty("java.awt.headless", "true");
        Path png = dir.resolve("c.png");
        Report.chart(List.of(new Row("exec", "exec", "ms", false, of(20), Optional.of(of(10)), Optional.of(of(100)),
                Optional.of(1.3), Optional.of(4.0), "")), "test", png);
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isGreaterThanOrEqualTo(700);
        assertThat(Files.size(png)).isPositive();
    }
}
