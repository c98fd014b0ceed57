package dev.cloche.api;

/** Capacity, a pool or a quota is exhausted. */
public final class ResourceExhaustedException extends GardenError {
    public ResourceExhaustedException(String message) {
        super(Kind.RESOURCE_EXHAUSTED, message, null);
    }

    public ResourceExhaustedException(String message, Throwable cause) {
        super(Kind.RESOURCE_EXHAUSTED, message, cause);
    }
}
