package dev.cloche.console.files;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The attributes a directory listing just returned, so that SFTP's attribute read per entry does not run one process
 * per file. Entries live {@link #TTL_NANOS}; every change through the file system forgets them all.
 */
final class StatCache {
    static final long TTL_NANOS = 2_000_000_000L;

    private record Cached(FileStat stat, long at) {}

    private final Map<String, Cached> byPath = new ConcurrentHashMap<>();

    void put(String path, FileStat stat) {
        byPath.put(path, new Cached(stat, System.nanoTime()));
    }

    /** The attributes without following a final link, if listed recently. */
    Optional<FileStat> get(String path) {
        Cached c = byPath.get(path);
        if (c == null || System.nanoTime() - c.at() > TTL_NANOS) {
            return Optional.empty();
        }
        return Optional.of(c.stat());
    }

    void clear() {
        byPath.clear();
    }
}
