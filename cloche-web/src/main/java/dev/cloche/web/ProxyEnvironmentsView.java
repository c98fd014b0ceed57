package dev.cloche.web;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/** The proxy's live environments as the page sees them, and ending one; the daemon adapts the proxy to it. */
public interface ProxyEnvironmentsView {
    /** One environment: its id, the URL it is reached at, when it expires and how many requests it has served. */
    record Environment(String id, String url, Instant expires, long requestsServed) {
        public Environment {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(expires, "expires");
        }
    }

    List<Environment> environments();

    /** Ends the environment now (its container is destroyed); an unknown id is a ContainerNotFound-style error. */
    void end(String id);
}
