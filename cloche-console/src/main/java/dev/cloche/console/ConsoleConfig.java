package dev.cloche.console;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The console's settings.
 *
 * @param agentId this agent's id in advertisements, replies and the addressed subject {@code task.start.<id>}
 * @param natsUrl the NATS server, e.g. {@code nats://127.0.0.1:4222}
 * @param sshHost the SSH server's listen address, also told to clients in start replies
 * @param sshPort the SSH port (0 = any free port)
 * @param stateDir where the persistent SSH host key lives
 * @param advertiseInterval how often {@code task.advertise} is published (also after every change)
 * @param sessionGrace how long a task outlives its last session (zero: it ends at once)
 * @param memoryMiB the memory budget tasks reserve from; empty = the Garden server's capacity
 * @param diskMiB the disk budget; empty = the Garden server's capacity
 * @param idle how long a task may have no SSH session at all before it ends (zero: never)
 * @param reconnectGrace how long a shell whose client dropped keeps running for a reconnect (zero: killed at once)
 */
public record ConsoleConfig(String agentId, String natsUrl, String sshHost, int sshPort, Path stateDir,
                            Duration advertiseInterval, Duration sessionGrace, OptionalLong memoryMiB,
                            OptionalLong diskMiB, Duration idle, Duration reconnectGrace) {
    public static final int DEFAULT_SSH_PORT = 2222;
    public static final Duration DEFAULT_ADVERTISE_INTERVAL = Duration.ofSeconds(5);
    public static final Duration DEFAULT_SESSION_GRACE = Duration.ofSeconds(10);
    public static final Duration DEFAULT_IDLE = Duration.ofMinutes(30);
    public static final Duration DEFAULT_RECONNECT_GRACE = Duration.ofSeconds(60);

    public ConsoleConfig {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(natsUrl, "natsUrl");
        Objects.requireNonNull(sshHost, "sshHost");
        Objects.requireNonNull(stateDir, "stateDir");
        Objects.requireNonNull(advertiseInterval, "advertiseInterval");
        Objects.requireNonNull(sessionGrace, "sessionGrace");
        Objects.requireNonNull(memoryMiB, "memoryMiB");
        Objects.requireNonNull(diskMiB, "diskMiB");
        Objects.requireNonNull(idle, "idle");
        Objects.requireNonNull(reconnectGrace, "reconnectGrace");
        if (idle.isNegative() || reconnectGrace.isNegative()) {
            throw new IllegalArgumentException("idle and reconnect grace must not be negative");
        }
        if (!TaskStart.TASK_ID.matcher(agentId).matches()) {
            throw new IllegalArgumentException("agent id must match " + TaskStart.TASK_ID.pattern() + ": " + agentId);
        }
        if (advertiseInterval.isNegative() || advertiseInterval.isZero()) {
            throw new IllegalArgumentException("advertise interval must be positive");
        }
        if (sessionGrace.isNegative()) {
            throw new IllegalArgumentException("session grace must not be negative");
        }
        if (sshPort < 0 || sshPort > 65535) {
            throw new IllegalArgumentException("bad SSH port " + sshPort);
        }
    }

    /**
     * Defaults: SSH on 127.0.0.1:2222, advertise every 5 s, 10 s grace, 30 min idle, 60 s to reconnect, the Garden
     * server's capacity as budget.
     */
    public static ConsoleConfig defaults(String agentId, String natsUrl, Path stateDir) {
        return new ConsoleConfig(agentId, natsUrl, "127.0.0.1", DEFAULT_SSH_PORT, stateDir, DEFAULT_ADVERTISE_INTERVAL,
                DEFAULT_SESSION_GRACE, OptionalLong.empty(), OptionalLong.empty(), DEFAULT_IDLE, DEFAULT_RECONNECT_GRACE);
    }

    public ConsoleConfig withSsh(String host, int port) {
        return new ConsoleConfig(agentId, natsUrl, host, port, stateDir, advertiseInterval, sessionGrace, memoryMiB, diskMiB, idle, reconnectGrace);
    }

    public ConsoleConfig withSessionGrace(Duration g) {
        return new ConsoleConfig(agentId, natsUrl, sshHost, sshPort, stateDir, advertiseInterval, g, memoryMiB, diskMiB, idle, reconnectGrace);
    }

    public ConsoleConfig withAdvertiseInterval(Duration i) {
        return new ConsoleConfig(agentId, natsUrl, sshHost, sshPort, stateDir, i, sessionGrace, memoryMiB, diskMiB, idle, reconnectGrace);
    }

    public ConsoleConfig withBudget(OptionalLong memory, OptionalLong disk) {
        return new ConsoleConfig(agentId, natsUrl, sshHost, sshPort, stateDir, advertiseInterval, sessionGrace, memory, disk, idle, reconnectGrace);
    }

    public ConsoleConfig withIdle(Duration i) {
        return new ConsoleConfig(agentId, natsUrl, sshHost, sshPort, stateDir, advertiseInterval, sessionGrace, memoryMiB,
                diskMiB, i, reconnectGrace);
    }

    public ConsoleConfig withReconnectGrace(Duration g) {
        return new ConsoleConfig(agentId, natsUrl, sshHost, sshPort, stateDir, advertiseInterval, sessionGrace, memoryMiB,
                diskMiB, idle, g);
    }

    /** Where session recordings go: {@code <state dir>/recordings/<task>/<session>.cast}. */
    public Path recordingsDir() {
        return stateDir.resolve("recordings");
    }
}
