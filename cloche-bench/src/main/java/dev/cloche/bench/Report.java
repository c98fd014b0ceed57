package dev.cloche.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import javax.imageio.ImageIO;

/** The markdown table and the PNG chart of one run. */
final class Report {

    /**
     * One measured row. {@code higherIsBetter} rows are rates (throughput, creates/s); the others are costs (time,
     * memory). The ratio is always Cloche's figure over the other's, as the issue states its goals.
     */
    record Row(String key, String title, String unit, boolean higherIsBetter, Samples cloche, Optional<Samples> raw,
               Optional<Samples> podman, Optional<Double> goalRaw, Optional<Double> goalPodman, String note) {

        Optional<Double> ratioRaw() {
            return raw.map(r -> cloche.median() / r.median()).filter(d -> !d.isNaN());
        }

        Optional<Double> ratioPodman() {
            return podman.map(p -> cloche.median() / p.median()).filter(d -> !d.isNaN());
        }

        /** Cost of Cloche relative to the other (lower is better), for the chart: time ratio, or inverse rate ratio. */
        Optional<Double> costRaw() {
            return ratioRaw().map(r -> higherIsBetter ? 1 / r : r);
        }

        Optional<Double> costPodman() {
            return ratioPodman().map(r -> higherIsBetter ? 1 / r : r);
        }

        int errors() {
            return cloche.errors + raw.map(s -> s.errors).orElse(0) + podman.map(s -> s.errors).orElse(0);
        }
    }

    static String ratio(Optional<Double> r) {
        return r.map(v -> String.format(Locale.ROOT, "%.2f×", v)).orElse("–");
    }

    static String cell(Optional<Samples> s) {
        return s.filter(x -> x.size() > 0).map(x -> Samples.fmt(x.median()) + " / " + Samples.fmt(x.p90())
                + (x.errors > 0 ? " (" + x.errors + " errors)" : "")).orElse("–");
    }

    static String goal(Row r) {
        List<String> parts = new ArrayList<>();
        r.goalRaw().ifPresent(g -> r.ratioRaw().ifPresent(v -> {
            boolean ok = r.higherIsBetter() ? v >= g : v <= g;
            parts.add((r.higherIsBetter() ? "≥ " : "≤ ") + fmt2(g) + "× raw: " + (ok ? "**met**" : "**missed**"));
        }));
        r.goalPodman().ifPresent(g -> r.ratioPodman().ifPresent(v -> {
            boolean ok = v <= 1 / g;
            parts.add("≥ " + fmt2(g) + "× faster than podman (" + fmt2(1 / v) + "×): " + (ok ? "**met**" : "**missed**"));
        }));
        return String.join("; ", parts);
    }

    static String fmt2(double v) {
        return String.format(Locale.ROOT, "%.2f", v);
    }

    static String table(List<Row> rows) {
        List<String> l = new ArrayList<>();
        l.add("| row | unit | Cloche median / p90 | raw runtime median / p90 | podman median / p90 | Cloche / raw | Cloche / podman | goal |");
        l.add("|---|---|---:|---:|---:|---:|---:|---|");
        for (Row r : rows) {
            l.add("| " + r.title() + (r.note().isEmpty() ? "" : " — " + r.note()) + " | " + r.unit() + " | "
                    + cell(Optional.of(r.cloche())) + " | " + cell(r.raw()) + " | " + cell(r.podman()) + " | "
                    + ratio(r.ratioRaw()) + " | " + ratio(r.ratioPodman()) + " | " + goal(r) + " |");
        }
        return String.join("\n", l);
    }

    /** Grouped bars: Cloche's cost relative to the raw runtime and to podman, per row; 1.0 = parity, lower = better. */
    static void chart(List<Row> rows, String subtitle, Path png) throws Exception {
        List<Row> shown = rows.stream().filter(r -> r.costRaw().isPresent() || r.costPodman().isPresent()).toList();
        int w = Math.max(700, 120 + 110 * shown.size());
        int h = 480;
        int left = 60;
        int right = 20;
        int top = 60;
        int bottom = 120;
        double max = 2.0;
        for (Row r : shown) {
            max = Math.max(max, r.costRaw().orElse(0.0));
            max = Math.max(max, r.costPodman().orElse(0.0));
        }
        max = Math.ceil(max * 2) / 2;
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.drawString("Cloche's cost relative to the raw runtime and to podman (lower is better, 1.0 = parity)", left, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawString(subtitle, left, 40);
        int plotH = h - top - bottom;
        int plotW = w - left - right;
        final double scale = max;
        java.util.function.DoubleToIntFunction y = v -> top + plotH - (int) Math.round(v / scale * plotH);
        g.setColor(new Color(230, 230, 230));
        for (double t = 0; t <= max + 1e-9; t += 0.5) {
            g.drawLine(left, y.applyAsInt(t), w - right, y.applyAsInt(t));
        }
        g.setColor(Color.DARK_GRAY);
        for (double t = 0; t <= max + 1e-9; t += 0.5) {
            g.drawString(String.format(Locale.ROOT, "%.1f", t), 25, y.applyAsInt(t) + 4);
        }
        g.drawLine(left, top, left, top + plotH);
        g.drawLine(left, top + plotH, w - right, top + plotH);
        int groupW = plotW / Math.max(1, shown.size());
        Color rawC = new Color(52, 101, 164);
        Color podC = new Color(204, 121, 32);
        for (int i = 0; i < shown.size(); i++) {
            Row r = shown.get(i);
            int x0 = left + i * groupW + groupW / 2 - 36;
            bar(g, r.costRaw(), x0, y, top + plotH, rawC);
            bar(g, r.costPodman(), x0 + 36, y, top + plotH, podC);
            g.setColor(Color.BLACK);
            java.awt.geom.AffineTransform at = g.getTransform();
            g.translate(left + i * groupW + groupW / 2 - 4, top + plotH + 8);
            g.rotate(Math.PI / 6);
            g.drawString(r.key(), 0, 0);
            g.setTransform(at);
        }
        g.setStroke(new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
        g.setColor(Color.RED);
        g.drawLine(left, y.applyAsInt(1.3), w - right, y.applyAsInt(1.3));
        g.drawString("1.3× raw (goal for time rows)", left + 6, y.applyAsInt(1.3) - 4);
        g.setColor(new Color(120, 120, 120));
        g.drawLine(left, y.applyAsInt(1.0), w - right, y.applyAsInt(1.0));
        g.setColor(podC);
        g.drawLine(left, y.applyAsInt(0.25), w - right, y.applyAsInt(0.25));
        g.drawString("0.25 = 4× faster than podman (goal)", left + 6, y.applyAsInt(0.25) - 4);
        g.setStroke(new BasicStroke(1));
        g.setColor(rawC);
        g.fillRect(left + 10, h - 22, 12, 12);
        g.setColor(Color.BLACK);
        g.drawString("Cloche / raw runtime", left + 28, h - 12);
        g.setColor(podC);
        g.fillRect(left + 190, h - 22, 12, 12);
        g.setColor(Color.BLACK);
        g.drawString("Cloche / podman", left + 208, h - 12);
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    private static void bar(Graphics2D g, Optional<Double> v, int x, java.util.function.DoubleToIntFunction y, int base, Color c) {
        if (v.isEmpty()) {
            return;
        }
        int top = y.applyAsInt(v.get());
        g.setColor(c);
        g.fillRect(x, top, 32, base - top);
        g.setColor(Color.BLACK);
        g.drawString(String.format(Locale.ROOT, "%.2f", v.get()), x, top - 3);
    }
}
