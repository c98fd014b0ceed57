package dev.cloche.proxy;

import io.netty.channel.Channel;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** The open upstream connections of each environment, so that its end can close them (requests, tunnels) at once. */
final class UpstreamConnections {
    private final Map<String, Set<Channel>> byEnvironment = new ConcurrentHashMap<>();

    /** Tracks {@code up} until it closes. */
    void track(String id, Channel up) {
        byEnvironment.computeIfAbsent(id, k -> ConcurrentHashMap.newKeySet()).add(up);
        up.closeFuture().addListener(f -> byEnvironment.computeIfPresent(id, (k, s) -> {
            s.remove(up);
            return s.isEmpty() ? null : s;
        }));
    }

    void closeAll(String id) {
        Set<Channel> open = byEnvironment.remove(id);
        if (open != null) open.forEach(Channel::close);
    }

    int count() {
        return byEnvironment.values().stream().mapToInt(Set::size).sum();
    }
}
