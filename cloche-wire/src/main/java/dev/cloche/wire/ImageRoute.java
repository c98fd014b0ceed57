package dev.cloche.wire;

import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

/**
 * Cloche's image routes, an extension beside Garden's {@link Route} table (Garden's clients never call them, and
 * {@value #PREFIX} is a segment no Garden route uses, so the tables cannot clash). The server dispatches with
 * {@link #match}; the client builds its requests from the same table.
 *
 * <ul>
 *   <li>{@code GET /images}: the cached images, {@link ImageJson#encodeImages}.
 *   <li>{@code POST /images/prune}: removes the unused ones, {@link ImageJson#encodePruneReport}.
 *   <li>{@code POST /images/pull} with {@link ImageJson#encodePullRequest}: a chunked stream of newline-delimited
 *       records, progress first, then the image or an error ({@link ImageJson.PullRecord}). A pull that fails before
 *       the first record is an ordinary error answer.
 * </ul>
 */
public enum ImageRoute {
    LIST("GET", "/images"),
    PRUNE("POST", "/images/prune"),
    PULL("POST", "/images/pull");

    public static final String PREFIX = "/images";

    private final String method;
    private final String path;

    ImageRoute(String method, String path) {
        this.method = method;
        this.path = path;
    }

    public String method() {
        return method;
    }

    public String path() {
        return path;
    }

    /** Whether a raw path belongs to this table (whatever the method). */
    public static boolean handles(String rawPath) {
        return rawPath.equals(PREFIX) || rawPath.startsWith(PREFIX + "/");
    }

    /** A matched route, or the methods the path allows (empty: no such path). */
    public record Match(Optional<ImageRoute> route, Set<String> allow) {
        public Match {
            allow = Set.copyOf(allow);
        }
    }

    public static Match match(String method, String rawPath) {
        Set<String> allow = new LinkedHashSet<>();
        for (ImageRoute r : values()) {
            if (!r.path.equals(rawPath)) {
                continue;
            }
            if (r.method.equals(method)) {
                return new Match(Optional.of(r), Set.of());
            }
            allow.add(r.method);
        }
        return new Match(Optional.empty(), allow);
    }
}
