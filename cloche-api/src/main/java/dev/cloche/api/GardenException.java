package dev.cloche.api;

/**
 * The one exception family of Cloche. Every failure crossing the API is one of these; the {@link #kind()} decides
 * the wire mapping (done in exactly one place, {@code dev.cloche.wire.ErrorCodec}), never the message text.
 *
 * <p>Garden's typed errors ({@code ContainerNotFoundError}, {@code ProcessNotFoundError},
 * {@code ExecutableNotFoundError}, {@code ServiceUnavailableError}, {@code UnrecoverableError}) have their own
 * subclasses; every other Garden error is a {@link GardenError} with a more precise {@link Kind} that travels as
 * the HTTP status (Go clients see Garden's generic error either way).
 */
public abstract sealed class GardenException extends RuntimeException
        permits ContainerNotFoundException, ProcessNotFoundException, ExecutableNotFoundException,
        ServiceUnavailableException, UnrecoverableException, GardenError {

    /** What went wrong, independent of the message text. */
    public enum Kind {
        CONTAINER_NOT_FOUND,
        PROCESS_NOT_FOUND,
        EXECUTABLE_NOT_FOUND,
        SERVICE_UNAVAILABLE,
        UNRECOVERABLE,
        /** A handle or process id that is already taken. */
        ALREADY_EXISTS,
        /** Malformed or invalid input: nothing was changed. */
        INVALID_REQUEST,
        /** The container or process is in a state that does not allow the operation (e.g. being destroyed). */
        CONFLICT,
        /** Capacity, pool or quota exhausted. */
        RESOURCE_EXHAUSTED,
        /** Anything else: a failure inside Cloche or the host. */
        INTERNAL
    }

    private final Kind kind;

    protected GardenException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public final Kind kind() {
        return kind;
    }
}
