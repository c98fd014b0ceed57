package dev.cloche.daemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import dev.cloche.console.ConsoleConfig;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code clocheD}: the Cloche daemon, in the foreground. */
@Command(name = "clocheD", mixinStandardHelpOptions = true, version = "clocheD 0.1.0",
        description = "Serve Garden's API on real Linux containers.")
public final class Main implements Callable<Integer> {

    @Option(names = "--listen", paramLabel = "HOST:PORT", description = "TCP address of the Garden API, e.g. 127.0.0.1:7777 for Garden's Go client; 'none' disables it (default: ${DEFAULT-VALUE}: the unix socket only).")
    String listen = "none";

    @Option(names = "--socket", paramLabel = "PATH", description = "Unix socket of the Garden API, 'none' to disable (default: ${DEFAULT-VALUE}).")
    String socket = "/run/cloche/garden.sock";

    @Option(names = "--backend", description = "Backend (default: ${DEFAULT-VALUE}).")
    String backend = "linux";

    @Option(names = "--depot", paramLabel = "DIR", description = "Where container bundles and state live (default: ${DEFAULT-VALUE}).")
    String depot = "/var/lib/cloche";

    @Option(names = "--runtime", description = "OCI runtime: runc or crun (default: ${DEFAULT-VALUE}).")
    String runtime = "runc";

    @Option(names = "--rootfs", paramLabel = "DIR", description = "Default root filesystem (default: <depot>/rootfs).")
    String rootfs = "";

    @Option(names = "--init-binary", paramLabel = "FILE", description = "The containers' pid 1 (default: <depot>/bin/cloche-init).")
    String initBinary = "";

    @Option(names = "--default-registry", paramLabel = "HOST[:PORT]", description = "Registry of docker:/// references that name no host (default: Docker Hub).")
    String defaultRegistry = "";

    @Option(names = "--insecure-registry", paramLabel = "HOST:PORT", description = "A registry spoken to over plain HTTP (repeatable); registries on loopback always are.")
    java.util.List<String> insecureRegistries = new java.util.ArrayList<>();

    @Option(names = "--image-cleanup-threshold-mb", paramLabel = "MiB", description = "Collect images no container uses once the image store is larger (Garden's graph_cleanup_threshold_in_mb); -1 = only `cloche images prune` (default: ${DEFAULT-VALUE}).")
    long imageCleanupThresholdMb = -1;

    @Option(names = "--default-grace-time", paramLabel = "DURATION", description = "Grace time for containers that give none, e.g. 5m; 0 = never reap (default: ${DEFAULT-VALUE}).")
    String graceTime = "0";

    @Option(names = "--log-format", description = "text (key=value) or json (default: ${DEFAULT-VALUE}).")
    String logFormat = "text";

    @Option(names = "--nats-url", paramLabel = "URL", description = "NATS server of the console (task.start/stop/advertise); 'none' disables the console (default: ${DEFAULT-VALUE}).")
    String natsUrl = "none";

    @Option(names = "--proxy-listen", paramLabel = "HOST:PORT", description = "Ephemeral-environment proxy (POST /demo/new); 'none' disables it (default: ${DEFAULT-VALUE}).")
    String proxyListen = "none";

    @Option(names = "--proxy-config", paramLabel = "FILE", description = "The proxy's templates as JSON (default: busybox httpd, 30 min TTL, 20 live); see docs/proxy.md.")
    String proxyConfig = "";

    @Option(names = "--console-ssh", paramLabel = "HOST:PORT", description = "SSH server of the console (default: ${DEFAULT-VALUE}).")
    String consoleSsh = "127.0.0.1:" + ConsoleConfig.DEFAULT_SSH_PORT;

    @Option(names = "--console-state-dir", paramLabel = "DIR", description = "Console state: the SSH host key (default: <depot>/console).")
    String consoleStateDir = "";

    @Option(names = "--console-agent-id", paramLabel = "ID", description = "This console agent's id (default: the host name).")
    String consoleAgentId = "";

    @Option(names = "--console-grace", paramLabel = "DURATION", description = "How long a console task outlives its last SSH session; 0 = it ends at once (default: ${DEFAULT-VALUE}).")
    String consoleGrace = ConsoleConfig.DEFAULT_SESSION_GRACE.toSeconds() + "s";

    @Option(names = "--console-idle", paramLabel = "DURATION", description = "A console task with no SSH session for this long ends, its container destroyed; 0 = never (default: ${DEFAULT-VALUE}).")
    String consoleIdle = ConsoleConfig.DEFAULT_IDLE.toMinutes() + "m";

    @Option(names = "--console-reconnect-grace", paramLabel = "DURATION", description = "How long an interactive console shell whose SSH connection dropped keeps running for a reconnect with the same token; 0 = it is killed with its connection (default: ${DEFAULT-VALUE}).")
    String consoleReconnectGrace = ConsoleConfig.DEFAULT_RECONNECT_GRACE.toSeconds() + "s";

    @Option(names = "--console-advertise-interval", paramLabel = "DURATION", description = "How often task.advertise is published (default: ${DEFAULT-VALUE}).")
    String consoleAdvertise = ConsoleConfig.DEFAULT_ADVERTISE_INTERVAL.toSeconds() + "s";

    @Option(names = "--console-memory", paramLabel = "MiB", description = "Memory console tasks may reserve (default: the host's memory).")
    Long consoleMemory;

    @Option(names = "--console-disk", paramLabel = "MiB", description = "Disk console tasks may reserve (default: the depot's filesystem size).")
    Long consoleDisk;

    @Option(names = "--docker-host", paramLabel = "URI", description = "The docker backend's engine: unix:///path.sock (dockerd or podman's service) or tcp://host:port (default: ${DEFAULT-VALUE}).")
    String dockerHost = "unix:///var/run/docker.sock";

    // metrics (issue 17): the debug listener
    @Option(names = "--debug-listen", paramLabel = "HOST:PORT", description = "Debug listener: /debug/vars (Go expvar), /metrics (Prometheus), /healthz; plain HTTP, keep it on loopback; 'none' disables it and all metrics (default: ${DEFAULT-VALUE}).")
    String debugListen = "none";

    // WEB: the browser console (docs/web.md)
    @Option(names = "--web-listen", paramLabel = "HOST:PORT", description = "Browser console (containers, terminals, files); login with the URL printed at start; 'none' disables it (default: ${DEFAULT-VALUE}).")
    String webListen = "none";

    @Option(names = "--web-tls-cert", paramLabel = "FILE", description = "Serve the browser console over HTTPS with this certificate chain (PEM; with --web-tls-key; default: --tls-cert's, if given).")
    Path webTlsCert;

    @Option(names = "--web-tls-key", paramLabel = "FILE", description = "The web certificate's private key (unencrypted PKCS#8 PEM; default: --tls-key's).")
    Path webTlsKey;

    @Option(names = "--backend-setting", paramLabel = "K=V", description = "Extra backend setting (repeatable).")
    Map<String, String> extra = new LinkedHashMap<>();

    // ---- ACCESS: who may call the API and what they may ask for (docs/security.md, Access to the API)
    @Option(names = "--socket-group", paramLabel = "NAME|GID", description = "Group of the unix socket (mode 0660), whose members may use the API (default: the daemon's own group, root's).")
    String socketGroup;

    @Option(names = "--tls-cert", paramLabel = "FILE", description = "Serve HTTPS on --listen with this certificate chain (PEM; with --tls-key).")
    Path tlsCert;

    @Option(names = "--tls-key", paramLabel = "FILE", description = "The TLS certificate's private key (unencrypted PKCS#8 PEM).")
    Path tlsKey;

    @Option(names = "--tls-client-ca", paramLabel = "FILE", description = "Require client certificates issued by this CA (PEM): mutual TLS.")
    Path tlsClientCa;

    @Option(names = "--token-file", paramLabel = "FILE", description = "Require 'Authorization: Bearer <token>' on every request to --listen; the token is FILE's first line (the unix socket is guarded by its mode instead).")
    Path tokenFile;

    @Option(names = "--allow-bind-mount-prefix", paramLabel = "DIR", description = "Host bind mounts must come from below DIR (repeatable; resolved, symlinks and .. included); without it, any host path.")
    java.util.List<Path> bindMountPrefixes = new java.util.ArrayList<>();

    @Option(names = "--no-privileged", description = "Refuse privileged containers.")
    boolean noPrivileged;

    private AccessConfig access() {
        return AccessConfig.fromFlags(Optional.ofNullable(socketGroup), Optional.ofNullable(tlsCert),
                Optional.ofNullable(tlsKey), Optional.ofNullable(tlsClientCa), Optional.ofNullable(tokenFile),
                bindMountPrefixes, noPrivileged, !listen.equals("none"));
    }

    // ---- AUDIT: the audit log of every state-changing call (docs/security.md, "Audit log") ----
    @Option(names = "--audit-log", paramLabel = "PATH", description = "Audit log, one JSON line per state-changing call; 'none' disables it (default: <depot>/audit/audit.log).")
    String auditLog = "";

    @Option(names = "--audit-log-max-mb", paramLabel = "MiB", description = "Rotate the audit log once it would grow past this size (default: ${DEFAULT-VALUE}).")
    long auditLogMaxMb = AuditSettings.DEFAULT_MAX_MB;

    @Option(names = "--audit-log-keep", paramLabel = "N", description = "Rotated audit logs kept beside it, audit.log.1 the newest (default: ${DEFAULT-VALUE}).")
    int auditLogKeep = AuditSettings.DEFAULT_KEEP;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Main()).setExecutionExceptionHandler(Main::refuseToStart).execute(args));
    }

    /**
     * A daemon that cannot start says why in one line (a missing program, a bad setting) instead of a stack trace:
     * Cloche's own errors and bad arguments carry the whole story in their message.
     */
    private static int refuseToStart(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) {
        if (e instanceof dev.cloche.api.GardenException || e instanceof IllegalArgumentException) {
            cmd.getErr().println("clocheD: " + e.getMessage());
            return 1;
        }
        cmd.getErr().println("clocheD: cannot start");
        e.printStackTrace(cmd.getErr());
        return 1;
    }

    @Override
    public Integer call() throws Exception {
        // Must happen before the first logger is created.
        System.setProperty("logback.configurationFile", logFormat.equals("json") ? "logback-json.xml" : "logback-text.xml");
        Map<String, String> settings = new LinkedHashMap<>();
        if (backend.equals("docker")) {
            // the engine keeps images and containers; Cloche keeps process output and statuses under the depot
            settings.put("dockerHost", dockerHost);
            settings.put("state", depot + "/docker");
            settings.put("defaultRootfs", rootfs.isEmpty() ? depot + "/rootfs" : rootfs);
        } else {
            settings.put("depot", depot);
            settings.put("runtime", runtime);
            settings.put("defaultRootfs", rootfs.isEmpty() ? depot + "/rootfs" : rootfs);
            settings.put("initBinary", initBinary.isEmpty() ? depot + "/bin/cloche-init" : initBinary);
            if (!defaultRegistry.isEmpty()) settings.put("defaultRegistry", defaultRegistry);
            if (!insecureRegistries.isEmpty()) settings.put("insecureRegistries", String.join(",", insecureRegistries));
            if (imageCleanupThresholdMb >= 0) settings.put("imageCleanupThresholdMb", Long.toString(imageCleanupThresholdMb));
        }
        settings.putAll(extra);
        DaemonConfig config = new DaemonConfig(
                listen.equals("none") ? Optional.empty() : Optional.of(listen),
                socket.equals("none") ? Optional.empty() : Optional.of(Path.of(socket)),
                backend, settings, parseDuration(graceTime), console(), proxy(), access(),
                AuditSettings.parse(auditLog, depot, auditLogMaxMb, auditLogKeep),
                debugListen.equals("none") ? Optional.empty() : Optional.of(debugListen), web());
        CountDownLatch stopped = new CountDownLatch(1);
        Daemon daemon = Daemon.start(config);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            daemon.close();
            stopped.countDown();
        }, "cloche-shutdown"));
        stopped.await();
        return 0;
    }

    /** The web listener's settings: its own TLS files, else the API's certificate and key (never its client CA). */
    private Optional<WebSettings> web() {
        if (webTlsCert == null != (webTlsKey == null)) {
            throw new IllegalArgumentException("--web-tls-cert and --web-tls-key go together");
        }
        if (webListen.equals("none")) {
            if (webTlsCert != null) {
                throw new IllegalArgumentException("--web-tls-cert needs --web-listen");
            }
            return Optional.empty();
        }
        Optional<dev.cloche.server.ServerTls> tls = webTlsCert != null
                ? Optional.of(dev.cloche.server.ServerTls.of(webTlsCert, webTlsKey))
                : Optional.ofNullable(tlsCert).map(c -> dev.cloche.server.ServerTls.of(c, tlsKey));
        return Optional.of(new WebSettings(webListen, tls));
    }

    private Optional<dev.cloche.proxy.ProxyConfig> proxy() throws java.io.IOException {
        if (proxyListen.equals("none")) {
            return Optional.empty();
        }
        java.util.List<dev.cloche.proxy.Template> templates = proxyConfig.isEmpty()
                ? java.util.List.of(dev.cloche.proxy.Template.DEFAULT)
                : dev.cloche.proxy.Templates.fromJson(java.nio.file.Files.readString(Path.of(proxyConfig)));
        return Optional.of(dev.cloche.proxy.ProxyConfig.of(Daemon.address(proxyListen), templates));
    }

    private Optional<ConsoleConfig> console() throws java.net.UnknownHostException {
        if (natsUrl.equals("none")) {
            return Optional.empty();
        }
        int colon = consoleSsh.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("--console-ssh must be HOST:PORT, got " + consoleSsh);
        }
        String agent = consoleAgentId.isEmpty()
                ? java.net.InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_.-]", "-") : consoleAgentId;
        return Optional.of(ConsoleConfig.defaults(agent, natsUrl,
                        Path.of(consoleStateDir.isEmpty() ? depot + "/console" : consoleStateDir))
                .withSsh(consoleSsh.substring(0, colon), Integer.parseInt(consoleSsh.substring(colon + 1)))
                .withSessionGrace(parseDuration(consoleGrace)).withAdvertiseInterval(parseDuration(consoleAdvertise))
                .withIdle(parseDuration(consoleIdle)).withReconnectGrace(parseDuration(consoleReconnectGrace))
                .withBudget(consoleMemory == null ? OptionalLong.empty() : OptionalLong.of(consoleMemory),
                        consoleDisk == null ? OptionalLong.empty() : OptionalLong.of(consoleDisk)));
    }

    static Duration parseDuration(String s) {
        String t = s.trim();
        if (t.equals("0")) {
            return Duration.ZERO;
        }
        if (t.endsWith("ms")) {
            return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
        }
        long n = Long.parseLong(t.substring(0, t.length() - 1));
        return switch (t.charAt(t.length() - 1)) {
            case 's' -> Duration.ofSeconds(n);
            case 'm' -> Duration.ofMinutes(n);
            case 'h' -> Duration.ofHours(n);
            default -> throw new IllegalArgumentException("not a duration: " + s);
        };
    }
}
