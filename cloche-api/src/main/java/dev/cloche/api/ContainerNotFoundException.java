package dev.cloche.api;

/** A container handle that does not exist. The message is Garden's: {@code unknown handle: <handle>}. */
public final class ContainerNotFoundException extends GardenException {
    private final String handle;

    public ContainerNotFoundException(String handle) {
        super(Kind.CONTAINER_NOT_FOUND, "unknown handle: " + handle, null);
        this.handle = handle;
    }

    public String handle() {
        return handle;
    }
}
