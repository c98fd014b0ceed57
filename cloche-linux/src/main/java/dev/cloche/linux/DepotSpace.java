package dev.cloche.linux;

import dev.cloche.api.GardenException;
import dev.cloche.api.ResourceExhaustedException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * A write into the depot that ran out of room, as the client is told it: {@link ResourceExhaustedException} naming
 * the depot's filesystem, never an internal error carrying ENOSPC's words. Pure: it reads messages only.
 */
final class DepotSpace {
    private DepotSpace() {}

    /** Whether {@code failure} or one of its causes says the filesystem had no room (blocks, inodes or a quota). */
    static boolean ranOut(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t.getMessage() != null && ranOut(t.getMessage())) return true;
        }
        return false;
    }

    static boolean ranOut(String message) {
        String m = message.toLowerCase(Locale.ROOT);
        return m.contains("no space left on device") || m.contains("disk quota exceeded");
    }

    /**
     * {@code failure} as the client sees it: when it ran out of room, a ResourceExhausted that says {@code what} failed
     * and that the depot's filesystem holding {@code where} is full; otherwise empty (the caller's own error stands).
     */
    static Optional<GardenException> full(String what, Path where, Throwable failure) {
        return ranOut(failure) ? Optional.of(exhausted(what + ": no space left on the depot's filesystem (" + where
                + "); free space there or give the depot a larger disk", failure)) : Optional.empty();
    }

    /**
     * A write into a container's volume that ran out of room: its own disk limit or the depot's filesystem under it
     * ({@code where}), which only the container's limits can tell apart.
     */
    static ResourceExhaustedException volumeFull(String what, Path where, boolean diskLimited, String detail) {
        return exhausted(what + ": no space left on " + (diskLimited ? "the container's disk (its disk limit)"
                : "the depot's filesystem (" + where + "); free space there or give the depot a larger disk")
                + " (" + detail.strip() + ")", null);
    }

    private static ResourceExhaustedException exhausted(String message, Throwable failure) {
        ResourceExhaustedException e = new ResourceExhaustedException(message);
        if (failure != null) e.addSuppressed(failure);
        return e;
    }
}
