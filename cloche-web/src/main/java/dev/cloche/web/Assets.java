package dev.cloche.web;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.Optional;

/**
 * The page's files, all from the jar: ours under {@code dev/cloche/web/static/}, xterm.js and its fit addon from
 * their webjars. Only the paths listed here are served, so no request path ever reaches a resource lookup.
 */
final class Assets {
    private static final String OURS = "dev/cloche/web/static/";
    private static final String XTERM = "META-INF/resources/webjars/xterm/4.9.0/";
    private static final String FIT = "META-INF/resources/webjars/xterm-addon-fit/0.3.0/";

    private static final Map<String, String> PATHS = Map.of(
            "/", OURS + "index.html",
            "/app.js", OURS + "app.js",
            "/terminal.js", OURS + "terminal.js",
            "/api.js", OURS + "api.js",
            "/style.css", OURS + "style.css",
            "/vendor/xterm.js", XTERM + "lib/xterm.js",
            "/vendor/xterm.css", XTERM + "css/xterm.css",
            "/vendor/xterm-addon-fit.js", FIT + "lib/xterm-addon-fit.js");

    private Assets() {
    }

    static Optional<WebAnswer> get(String path) {
        String resource = PATHS.get(path);
        if (resource == null) {
            return Optional.empty();
        }
        try (InputStream in = Assets.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("the jar lacks " + resource);
            }
            return Optional.of(new WebAnswer.Full(200, contentType(resource), Map.of(), in.readAllBytes()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String contentType(String resource) {
        if (resource.endsWith(".js")) {
            return "text/javascript; charset=utf-8";
        }
        if (resource.endsWith(".css")) {
            return "text/css; charset=utf-8";
        }
        return "text/html; charset=utf-8";
    }
}
