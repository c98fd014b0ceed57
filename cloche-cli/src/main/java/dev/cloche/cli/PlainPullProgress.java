package dev.cloche.cli;

import dev.cloche.api.LayerProgress;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A pull's progress for a log or a pipe: one line when a layer starts downloading, one when it is done (with its
 * time and average rate), one for a layer that was cached; nothing for the records in between.
 */
final class PlainPullProgress implements PullProgress {
    private final PrintStream out;
    private final LongSupplier nanoTime;
    private final Map<String, Long> started = new HashMap<>();

    PlainPullProgress(PrintStream out, LongSupplier nanoTime) {
        this.out = out;
        this.nanoTime = nanoTime;
    }

    @Override
    public void accept(LayerProgress p) {
        String layer = PullProgress.shortDigest(p.digest());
        if (p.cached()) {
            out.println(layer + ": cached (" + Sizes.human(p.size()) + ")");
            return;
        }
        long now = nanoTime.getAsLong();
        Long since = started.get(p.digest());
        if (since == null) {
            started.put(p.digest(), now);
            since = now;
            out.println(layer + ": downloading " + (p.size() > 0 ? Sizes.human(p.size()) : "(size unknown)"));
        }
        if (p.done()) {
            long nanos = now - since;
            String rate = PullProgress.rate(p.bytes(), nanos);
            out.println(layer + ": done " + Sizes.human(p.bytes()) + " in " + Sizes.human(Duration.ofNanos(nanos))
                    + (rate.isEmpty() ? "" : " (" + rate + ")"));
        }
    }
}
