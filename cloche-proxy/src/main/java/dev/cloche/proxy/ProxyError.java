package dev.cloche.proxy;

/** A refusal with the HTTP status it is answered with; the one place statuses are chosen is where this is thrown. */
final class ProxyError extends RuntimeException {
    private final int status;

    ProxyError(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    int status() {
        return status;
    }
}
