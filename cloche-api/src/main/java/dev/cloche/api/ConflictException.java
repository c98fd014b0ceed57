package dev.cloche.api;

/** The target's state does not allow the operation (e.g. it is being destroyed), or a stale version. */
public final class ConflictException extends GardenError {
    public ConflictException(String message) {
        super(Kind.CONFLICT, message, null);
    }

    public ConflictException(String message, Throwable cause) {
        super(Kind.CONFLICT, message, cause);
    }
}
