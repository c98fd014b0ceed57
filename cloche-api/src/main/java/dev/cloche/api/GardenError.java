package dev.cloche.api;

/**
 * Every error that Garden's wire carries as a generic error ({@code "Type":""}). Its {@link #kind()} says what
 * happened; see the factories and the dedicated subclasses.
 */
public abstract sealed class GardenError extends GardenException
        permits AlreadyExistsException, InvalidRequestException, ConflictException, ResourceExhaustedException, GardenError.Generic {

    GardenError(Kind kind, String message, Throwable cause) {
        super(kind, message, cause);
    }

    /** A failure inside Cloche or the host. */
    public static GardenError internal(String message, Throwable cause) {
        return new Generic(Kind.INTERNAL, message, cause);
    }

    public static GardenError internal(String message) {
        return new Generic(Kind.INTERNAL, message, null);
    }

    /** A generic error of any kind, e.g. rebuilt by a client from the wire. */
    public static GardenError of(Kind kind, String message) {
        return switch (kind) {
            case ALREADY_EXISTS -> new AlreadyExistsException(message);
            case INVALID_REQUEST -> new InvalidRequestException(message);
            case CONFLICT -> new ConflictException(message);
            case RESOURCE_EXHAUSTED -> new ResourceExhaustedException(message);
            default -> new Generic(kind, message, null);
        };
    }

    /** A generic error with no more specific class (internal failures, missing properties, ...). */
    public static final class Generic extends GardenError {
        Generic(Kind kind, String message, Throwable cause) {
            super(kind, message, cause);
        }
    }
}
