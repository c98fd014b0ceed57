package dev.cloche.api;

/** The server cannot serve the request right now. */
public final class ServiceUnavailableException extends GardenException {
    public ServiceUnavailableException(String message) {
        super(Kind.SERVICE_UNAVAILABLE, message, null);
    }

    public ServiceUnavailableException(String message, Throwable cause) {
        super(Kind.SERVICE_UNAVAILABLE, message, cause);
    }
}
