package dev.cloche.linux.image;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Runs one piece of work per key at a time: a caller that arrives while the work for its key runs waits for that
 * run's result (or its failure) instead of starting its own. Nothing is remembered after a run ends, so the next
 * caller after a failure tries again.
 */
final class SingleFlight<K, V> {
    private final ConcurrentHashMap<K, CompletableFuture<V>> flights = new ConcurrentHashMap<>();

    V run(K key, Supplier<V> work) {
        CompletableFuture<V> mine = new CompletableFuture<>();
        CompletableFuture<V> theirs = flights.putIfAbsent(key, mine);
        if (theirs != null) return await(theirs);
        try {
            V v = work.get();
            mine.complete(v);
            return v;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            flights.remove(key, mine);
        }
    }

    /** Whether work for {@code key} is running now. */
    boolean running(K key) {
        return flights.containsKey(key);
    }

    private static <V> V await(CompletableFuture<V> f) {
        try {
            return f.join();
        } catch (CompletionException e) {
            // the run's own exception: it already says what failed
            if (e.getCause() instanceof RuntimeException r) throw r;
            if (e.getCause() instanceof Error err) throw err;
            throw e;
        }
    }
}
