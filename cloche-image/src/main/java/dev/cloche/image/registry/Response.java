package dev.cloche.image.registry;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpHeaders;
import java.nio.charset.StandardCharsets;

/** A registry's answer with its body still to read (behind the read timeout); closing it releases the connection. */
record Response(int status, HttpHeaders headers, InputStream body) implements AutoCloseable {

    String header(String name) {
        return headers.firstValue(name).orElse("");
    }

    /** The start of the body (an error document), closing it. */
    String errorText() {
        try (InputStream in = body) {
            return new String(in.readNBytes(16 * 1024), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (IOException ignored) {
            // nothing is left to release
        }
    }
}
