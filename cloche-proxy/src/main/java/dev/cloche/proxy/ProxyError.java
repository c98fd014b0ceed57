package dev.cloche.proxy;

/**
 * A refusal only the proxy makes (an unknown template, a template at its maximum, a server that never came up), with
 * the status it is answered with; the status is chosen where this is thrown. Errors of the core are not wrapped in
 * one: they stay {@link dev.cloche.api.GardenException}s and are answered through ErrorCodec ({@link Answer#error}).
 */
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
