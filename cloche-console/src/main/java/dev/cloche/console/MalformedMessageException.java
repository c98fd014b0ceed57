package dev.cloche.console;

/** A NATS payload that is not valid JSON or does not match its message's schema; answered, never fatal. */
public final class MalformedMessageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public MalformedMessageException(String message) {
        super(message);
    }
}
