package dev.cloche.api;

/** The executable of a process spec could not be found in the container. */
public final class ExecutableNotFoundException extends GardenException {
    public ExecutableNotFoundException(String message) {
        super(Kind.EXECUTABLE_NOT_FOUND, message, null);
    }

    public ExecutableNotFoundException(String message, Throwable cause) {
        super(Kind.EXECUTABLE_NOT_FOUND, message, cause);
    }
}
