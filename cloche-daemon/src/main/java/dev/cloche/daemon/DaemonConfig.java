package dev.cloche.daemon;

import dev.cloche.console.ConsoleConfig;
import dev.cloche.proxy.ProxyConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The daemon's settings after parsing.
 *
 * @param listen TCP address {@code host:port} for the Garden API, empty to disable
 * @param socket unix socket for the Garden API, empty to disable
 * @param backend name of the {@link dev.cloche.spi.BackendProvider} to use
 * @param backendSettings settings handed to the backend (depot, runtime, rootfs, ...)
 * @param defaultGraceTime grace time for containers that give none (zero = never reap)
 * @param console the console front-end (NATS agent + SSH), empty to run without it
 * @param proxy the ephemeral-environment proxy, empty to run without it
 * @param access who may use the API and what they may ask for (socket group, TLS, token, create policy)
 * @param audit where the audit log goes
 * @param debugListen {@code host:port} of the debug listener ({@code /debug/vars}, {@code /metrics},
 *                    {@code /healthz}), empty to run without it and without metrics
 * @param web the browser console's listener and TLS, empty to run without it
 */
public record DaemonConfig(Optional<String> listen, Optional<Path> socket, String backend,
                           Map<String, String> backendSettings, Duration defaultGraceTime,
                           Optional<ConsoleConfig> console, Optional<ProxyConfig> proxy, AccessConfig access,
                           AuditSettings audit, Optional<String> debugListen, Optional<WebSettings> web) {
    public DaemonConfig(Optional<String> listen, Optional<Path> socket, String backend,
                        Map<String, String> backendSettings, Duration defaultGraceTime,
                        Optional<ConsoleConfig> console, Optional<ProxyConfig> proxy, AccessConfig access,
                        AuditSettings audit, Optional<String> debugListen) {
        this(listen, socket, backend, backendSettings, defaultGraceTime, console, proxy, access, audit, debugListen,
                Optional.empty());
    }

    public DaemonConfig(Optional<String> listen, Optional<Path> socket, String backend,
                        Map<String, String> backendSettings, Duration defaultGraceTime) {
        this(listen, socket, backend, backendSettings, defaultGraceTime, Optional.empty(), Optional.empty());
    }

    public DaemonConfig(Optional<String> listen, Optional<Path> socket, String backend,
                        Map<String, String> backendSettings, Duration defaultGraceTime,
                        Optional<ConsoleConfig> console, Optional<ProxyConfig> proxy) {
        this(listen, socket, backend, backendSettings, defaultGraceTime, console, proxy, AccessConfig.DEFAULTS,
                AuditSettings.DEFAULT, Optional.empty());
    }

    public DaemonConfig {
        Objects.requireNonNull(console, "console");
        Objects.requireNonNull(proxy, "proxy");
        Objects.requireNonNull(access, "access");
        Objects.requireNonNull(audit, "audit");
        Objects.requireNonNull(debugListen, "debugListen");
        Objects.requireNonNull(web, "web");
        Objects.requireNonNull(listen, "listen");
        Objects.requireNonNull(socket, "socket");
        Objects.requireNonNull(backend, "backend");
        Objects.requireNonNull(defaultGraceTime, "defaultGraceTime");
        backendSettings = Map.copyOf(backendSettings);
        if (listen.isEmpty() && socket.isEmpty()) {
            throw new IllegalArgumentException("nothing to listen on: give --listen or --socket");
        }
    }
}
