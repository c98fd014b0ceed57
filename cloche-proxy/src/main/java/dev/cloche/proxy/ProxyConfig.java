package dev.cloche.proxy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The proxy's settings: where it listens, its templates (the first is the default), how long a request to an
 * environment that is still starting waits for it to become ready ({@code startingWait}, then {@code 503} with
 * {@code Retry-After}), how long a client connection may sit idle between requests ({@code idleTimeout}), and
 * how long an environment's server may take to begin its answer once it has the whole request
 * ({@code answerTimeout}, then {@code 504}).
 */
public record ProxyConfig(InetSocketAddress listen, Map<String, Template> templates, String defaultTemplate,
                          Duration startingWait, Duration idleTimeout, Duration answerTimeout) {

    public ProxyConfig {
        Objects.requireNonNull(listen, "listen");
        templates = Map.copyOf(templates);
        if (!templates.containsKey(defaultTemplate)) throw new IllegalArgumentException("no template " + defaultTemplate);
        if (startingWait.isNegative()) throw new IllegalArgumentException("startingWait must not be negative");
        if (idleTimeout.isNegative() || idleTimeout.isZero()) throw new IllegalArgumentException("idleTimeout must be positive");
        if (answerTimeout.isNegative() || answerTimeout.isZero()) throw new IllegalArgumentException("answerTimeout must be positive");
    }

    public static ProxyConfig of(InetSocketAddress listen, List<Template> templates) {
        Map<String, Template> m = new LinkedHashMap<>();
        for (Template t : templates) {
            if (m.put(t.name(), t) != null) throw new IllegalArgumentException("template " + t.name() + " given twice");
        }
        return new ProxyConfig(listen, m, templates.getFirst().name(), Duration.ofSeconds(10), Duration.ofMinutes(2),
                Duration.ofSeconds(60));
    }

    public ProxyConfig withStartingWait(Duration d) {
        return new ProxyConfig(listen, templates, defaultTemplate, d, idleTimeout, answerTimeout);
    }

    public ProxyConfig withIdleTimeout(Duration d) {
        return new ProxyConfig(listen, templates, defaultTemplate, startingWait, d, answerTimeout);
    }

    public ProxyConfig withAnswerTimeout(Duration d) {
        return new ProxyConfig(listen, templates, defaultTemplate, startingWait, idleTimeout, d);
    }
}
