package dev.cloche.api;

/** Malformed or invalid input; nothing was changed. */
public final class InvalidRequestException extends GardenError {
    public InvalidRequestException(String message) {
        super(Kind.INVALID_REQUEST, message, null);
    }

    public InvalidRequestException(String message, Throwable cause) {
        super(Kind.INVALID_REQUEST, message, cause);
    }
}
