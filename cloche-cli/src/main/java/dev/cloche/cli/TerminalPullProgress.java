package dev.cloche.cli;

import dev.cloche.api.LayerProgress;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A pull's progress on a terminal: one line per layer, in the order the layers appeared, each with a bar, its bytes
 * and its rate, redrawn in place (ANSI: cursor up, erase line) on every record.
 */
final class TerminalPullProgress implements PullProgress {
    static final int BAR = 30;
    private static final String UP = "\u001b[%dA";
    private static final String ERASE_LINE = "\u001b[2K";

    private record Layer(LayerProgress last, long startedNanos, long nowNanos) {}

    private final PrintStream out;
    private final LongSupplier nanoTime;
    private final Map<String, Layer> layers = new LinkedHashMap<>();
    private int drawn;

    TerminalPullProgress(PrintStream out, LongSupplier nanoTime) {
        this.out = out;
        this.nanoTime = nanoTime;
    }

    @Override
    public void accept(LayerProgress p) {
        long now = nanoTime.getAsLong();
        Layer before = layers.get(p.digest());
        layers.put(p.digest(), new Layer(p, before == null ? now : before.startedNanos(), now));
        StringBuilder b = new StringBuilder();
        if (drawn > 0) {
            b.append('\r').append(String.format(UP, drawn));
        }
        for (Layer l : layers.values()) {
            b.append(ERASE_LINE).append(line(l)).append('\n');
        }
        drawn = layers.size();
        out.print(b);
        out.flush();
    }

    /** One layer's line: {@code 0123456789ab [=====>      ]  1.5 MiB / 3.0 MiB  750.0 KiB/s}. */
    static String line(LayerProgress p, long elapsedNanos) {
        String name = PullProgress.shortDigest(p.digest());
        if (p.cached()) {
            return name + " " + " ".repeat(BAR + 2) + "  cached " + Sizes.human(p.size());
        }
        String amount = Sizes.human(p.bytes()) + (p.size() > 0 ? " / " + Sizes.human(p.size()) : "");
        String rate = PullProgress.rate(p.bytes(), elapsedNanos);
        return name + " " + bar(p) + "  " + (p.done() ? "done " : "") + amount + (rate.isEmpty() ? "" : "  " + rate);
    }

    private static String line(Layer l) {
        return line(l.last(), l.nowNanos() - l.startedNanos());
    }

    /** {@code [=========>          ]}: full when done, an arrow at the fraction while downloading. */
    static String bar(LayerProgress p) {
        int filled = p.done() ? BAR : p.size() <= 0 ? 0 : (int) Math.min(BAR, p.bytes() * BAR / p.size());
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < BAR; i++) {
            b.append(i < filled ? '=' : i == filled ? '>' : ' ');
        }
        return b.append(']').toString();
    }
}
