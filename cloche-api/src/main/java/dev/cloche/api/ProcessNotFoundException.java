package dev.cloche.api;

/** A process id that does not exist in the container. The message is Garden's: {@code unknown process: <processId>}. */
public final class ProcessNotFoundException extends GardenException {
    private final String processId;

    public ProcessNotFoundException(String processId) {
        super(Kind.PROCESS_NOT_FOUND, "unknown process: " + processId, null);
        this.processId = processId;
    }

    public String processId() {
        return processId;
    }
}
