package dev.cloche.api;

/** A handle or process id that is already in use. */
public final class AlreadyExistsException extends GardenError {
    public AlreadyExistsException(String message) {
        super(Kind.ALREADY_EXISTS, message, null);
    }

    public AlreadyExistsException(String message, Throwable cause) {
        super(Kind.ALREADY_EXISTS, message, cause);
    }
}
