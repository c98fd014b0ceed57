package dev.cloche.linux;

import java.util.ArrayDeque;
import java.util.Deque;

/** Undo steps of one recipe, run in reverse order when it fails; later failures are attached as suppressed. */
final class Rollback {
    private final Deque<Step> steps = new ArrayDeque<>();

    private record Step(String what, Runnable undo) {}

    void add(String what, Runnable undo) {
        steps.push(new Step(what, undo));
    }

    /** Runs every undo (last registered first) and returns {@code cause} with their failures suppressed. */
    <E extends Throwable> E unwind(E cause) {
        while (!steps.isEmpty()) {
            Step s = steps.pop();
            try {
                s.undo().run();
            } catch (RuntimeException e) {
                cause.addSuppressed(new IllegalStateException("rollback of " + s.what() + " failed: " + e.getMessage(), e));
            }
        }
        return cause;
    }
}
