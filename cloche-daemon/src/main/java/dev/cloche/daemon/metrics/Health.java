package dev.cloche.daemon.metrics;

import dev.cloche.api.GardenClient;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Whether the backend is usable: the core answers ping and capacity (which asks the backend) within a deadline.
 * A health check that hangs would be worse than one that fails, so a slow backend is unhealthy.
 */
final class Health {
    private final GardenClient core;
    private final Duration deadline;

    Health(GardenClient core, Duration deadline) {
        this.core = core;
        this.deadline = deadline;
    }

    /** Empty when healthy, else one line saying why not. */
    Optional<String> problem() {
        CompletableFuture<Void> check = new CompletableFuture<>();
        Thread.ofVirtual().name("healthz").start(() -> {
            try {
                core.ping();
                core.capacity();
                check.complete(null);
            } catch (RuntimeException e) {
                check.completeExceptionally(e);
            }
        });
        try {
            check.get(deadline.toMillis(), TimeUnit.MILLISECONDS);
            return Optional.empty();
        } catch (TimeoutException e) {
            return Optional.of("backend did not answer capacity within " + deadline.toMillis() + " ms");
        } catch (ExecutionException e) {
            return Optional.of("backend unusable: " + oneLine(e.getCause()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        }
    }

    private static String oneLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.replaceAll("[\\r\\n]+", " ");
    }
}
