package dev.cloche.daemon.metrics;

import dev.cloche.api.GardenException;
import java.util.Locale;

/** The {@code kind} label of a failure: the Garden error kind, lower case; anything else is {@code internal}. */
final class Failures {
    private Failures() {
    }

    static String kind(RuntimeException e) {
        return e instanceof GardenException g ? g.kind().name().toLowerCase(Locale.ROOT) : "internal";
    }
}
