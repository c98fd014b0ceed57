package dev.cloche.cli;

import dev.cloche.api.LayerProgress;
import java.io.PrintStream;
import java.util.function.Consumer;

/**
 * How a pull's progress is shown to the person waiting for it: a bar per layer on a terminal
 * ({@link TerminalPullProgress}), a line per layer event in a log or pipe ({@link PlainPullProgress}).
 */
interface PullProgress extends Consumer<LayerProgress> {

    /** The view for {@code out}: bars if {@code terminal}, plain lines otherwise. */
    static PullProgress to(PrintStream out, boolean terminal) {
        return terminal ? new TerminalPullProgress(out, System::nanoTime) : new PlainPullProgress(out, System::nanoTime);
    }

    /** {@code 12.3 MiB/s} from bytes over nanoseconds; empty before any time has passed. */
    static String rate(long bytes, long nanos) {
        if (nanos <= 0) {
            return "";
        }
        return Sizes.human((long) (bytes / (nanos / 1e9))) + "/s";
    }

    /** A digest as people read it: its first 12 hex digits. */
    static String shortDigest(String digest) {
        String hex = digest.substring(digest.indexOf(':') + 1);
        return hex.length() > 12 ? hex.substring(0, 12) : hex;
    }
}
