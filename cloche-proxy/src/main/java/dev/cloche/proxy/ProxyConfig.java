package dev.cloche.proxy;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The proxy's settings: where it listens, its templates (the first is the default), how long a new environment may
 * take to accept connections, and the base URL it reports (derived from the listen address when empty).
 */
public record ProxyConfig(InetSocketAddress listen, Map<String, Template> templates, String defaultTemplate,
                          Duration readyTimeout) {

    public ProxyConfig {
        Objects.requireNonNull(listen, "listen");
        templates = Map.copyOf(templates);
        if (!templates.containsKey(defaultTemplate)) throw new IllegalArgumentException("no template " + defaultTemplate);
        Objects.requireNonNull(readyTimeout, "readyTimeout");
    }

    public static ProxyConfig of(InetSocketAddress listen, List<Template> templates) {
        Map<String, Template> m = new LinkedHashMap<>();
        for (Template t : templates) {
            if (m.put(t.name(), t) != null) throw new IllegalArgumentException("template " + t.name() + " given twice");
        }
        return new ProxyConfig(listen, m, templates.getFirst().name(), Duration.ofSeconds(30));
    }

    public ProxyConfig withReadyTimeout(Duration d) {
        return new ProxyConfig(listen, templates, defaultTemplate, d);
    }
}
