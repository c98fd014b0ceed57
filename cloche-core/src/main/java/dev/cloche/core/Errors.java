package dev.cloche.core;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;

/** Keeps the API's promise that only {@link GardenException}s cross it. */
final class Errors {
    private Errors() {}

    static GardenException wrap(String what, RuntimeException e) {
        if (e instanceof GardenException g) {
            return g;
        }
        return GardenError.internal(what + ": " + e, e);
    }
}
