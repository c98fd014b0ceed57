package dev.cloche.api;

/** The server is broken for good (reported by ping). */
public final class UnrecoverableException extends GardenException {
    public UnrecoverableException(String message) {
        super(Kind.UNRECOVERABLE, message, null);
    }

    public UnrecoverableException(String message, Throwable cause) {
        super(Kind.UNRECOVERABLE, message, cause);
    }
}
