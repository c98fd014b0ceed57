package dev.cloche.proxy;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The proxy's route table: what a request line asks for, decided from its method and target alone. The
 * {@link Control} routes are the proxy's own API ({@link ControlEndpoint}); a {@link Relay} goes to an environment.
 */
sealed interface ProxyRoute {
    Pattern ENVIRONMENT = Pattern.compile("^/demo/([0-9a-f]{1,32})(/.*)?$");

    /** A request the proxy answers itself. */
    sealed interface Control extends ProxyRoute {}

    /** {@code /demo/new[?template=T]}: a GET (a browser) is redirected to the new environment, anything else gets its JSON. */
    record Create(Optional<String> template, boolean redirect) implements Control {}

    /** {@code /demo}: the live environments. */
    record ListAll() implements Control {}

    /** {@code /demo/{id}} with any method but DELETE. */
    record Describe(String id) implements Control {}

    /** {@code DELETE /demo/{id}}. */
    record End(String id) implements Control {}

    /** Any path the proxy does not serve. */
    record NoSuchPath(String path) implements Control {}

    /** {@code /demo/{id}/...}: relayed to the environment as {@code target} (the rest of the path, and the query). */
    record Relay(String id, String target) implements ProxyRoute {}

    static ProxyRoute match(String method, String uri) {
        int q = uri.indexOf('?');
        String path = q < 0 ? uri : uri.substring(0, q);
        if (path.equals("/demo/new")) return new Create(query(uri, "template"), method.equals("GET"));
        if (path.equals("/demo") || path.equals("/demo/")) return new ListAll();
        Matcher m = ENVIRONMENT.matcher(path);
        if (!m.matches()) return new NoSuchPath(path);
        String id = m.group(1);
        if (m.group(2) == null) return method.equals("DELETE") ? new End(id) : new Describe(id);
        return new Relay(id, m.group(2) + (q < 0 ? "" : uri.substring(q)));
    }

    /** The decoded value of the first {@code name=value} in the query; an empty value is none. */
    private static Optional<String> query(String uri, String name) {
        int q = uri.indexOf('?');
        if (q < 0) return Optional.empty();
        for (String kv : uri.substring(q + 1).split("&")) {
            String[] p = kv.split("=", 2);
            if (p[0].equals(name) && p.length == 2) {
                return Optional.of(URLDecoder.decode(p[1], StandardCharsets.UTF_8)).filter(v -> !v.isEmpty());
            }
        }
        return Optional.empty();
    }
}
