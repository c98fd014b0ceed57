package dev.cloche.proxy;

import dev.cloche.api.BindMount;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * What an environment is made of: the image ({@code ""} = the server's default root filesystem), the command that
 * serves HTTP on {@code port} inside the container, its Garden limits (memory, CPU, pids, disk), host bind mounts,
 * how long it lives ({@link Lifetime}), how many may live at once, how its readiness is checked, how long its server
 * may take to pass that check, and how many containers the proxy keeps made ahead ({@code warm}, {@link WarmPool}),
 * so that a new environment only has to start its server.
 */
public record Template(String name, String image, List<String> command, int port, Limits limits,
                       List<BindMount> bindMounts, Lifetime lifetime, int maxLive, Readiness readiness,
                       Duration readyTimeout, int warm) {
    /** The most containers a template may keep made ahead: each holds its memory and address while it waits. */
    public static final int MAX_WARM = 64;
    /** How long a server may take to pass its readiness check unless the template says otherwise. */
    public static final Duration READY_TIMEOUT = Duration.ofSeconds(30);


    /**
     * busybox httpd with a generated index page: the default when no template is configured. 64 MiB and 256 pids, so
     * a visitor cannot starve the host or fork-bomb it; busybox httpd forks one child per connection.
     */
    public static final Template DEFAULT = new Template("default", "", List.of("/bin/sh", "-c",
            "mkdir -p /www && echo '<h1>Hello from a Cloche environment</h1>' > /www/index.html"
                    + " && exec httpd -f -p 8080 -h /www"), 8080,
            Limits.NONE.withMemory(new MemoryLimits(64L << 20)).withPid(new PidLimits(256)), List.of(), new Lifetime.Fixed(Duration.ofMinutes(30)), 20, new Readiness.Tcp(8080), READY_TIMEOUT, 0);

    public Template {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(image, "image");
        command = List.copyOf(command);
        bindMounts = List.copyOf(bindMounts);
        Objects.requireNonNull(lifetime, "lifetime");
        Objects.requireNonNull(readiness, "readiness");
        Objects.requireNonNull(readyTimeout, "readyTimeout");
        Objects.requireNonNull(limits, "limits");
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) throw new IllegalArgumentException("bad template name: " + name);
        if (command.isEmpty()) throw new IllegalArgumentException("template " + name + " has no command");
        if (port < 1 || port > 65535) throw new IllegalArgumentException("template " + name + ": bad port " + port);
        if (readyTimeout.isNegative() || readyTimeout.isZero()) throw new IllegalArgumentException("template " + name + ": ready_timeout must be positive");
        if (maxLive < 1) throw new IllegalArgumentException("template " + name + ": maxLive must be at least 1");
        if (warm < 0 || warm > MAX_WARM) throw new IllegalArgumentException("template " + name + ": warm must be 0 to " + MAX_WARM);
    }

    /** The container of an environment (or of one made ahead) with {@code handle} and {@code properties}. */
    dev.cloche.api.ContainerSpec containerSpec(String handle, java.util.Map<String, String> properties) {
        dev.cloche.api.ContainerSpec spec = dev.cloche.api.ContainerSpec.withHandle(handle).withProperties(properties)
                .withBindMounts(bindMounts).withLimits(limits);
        return image.isEmpty() ? spec : spec.withImage(dev.cloche.api.ImageRef.of(image));
    }

    /** The longest an environment of this template may live: its fixed TTL, or its hard maximum. */
    public Duration ttl() {
        return lifetime.max();
    }

    public Template withName(String n) {
        return new Template(n, image, command, port, limits, bindMounts, lifetime, maxLive, readiness, readyTimeout, warm);
    }

    public Template withCommand(List<String> c) {
        return new Template(name, image, c, port, limits, bindMounts, lifetime, maxLive, readiness, readyTimeout, warm);
    }

    /** The server's port; a TCP readiness check follows it (an HTTP one keeps its own port). */
    public Template withPort(int p) {
        Readiness r = readiness instanceof Readiness.Tcp ? new Readiness.Tcp(p) : readiness;
        return new Template(name, image, command, p, limits, bindMounts, lifetime, maxLive, r, readyTimeout, warm);
    }

    /** A fixed TTL. */
    public Template withTtl(Duration t) {
        return withLifetime(new Lifetime.Fixed(t));
    }

    public Template withLifetime(Lifetime l) {
        return new Template(name, image, command, port, limits, bindMounts, l, maxLive, readiness, readyTimeout, warm);
    }

    public Template withMaxLive(int m) {
        return new Template(name, image, command, port, limits, bindMounts, lifetime, m, readiness, readyTimeout, warm);
    }

    public Template withLimits(Limits l) {
        return new Template(name, image, command, port, l, bindMounts, lifetime, maxLive, readiness, readyTimeout, warm);
    }

    public Template withBindMounts(List<BindMount> b) {
        return new Template(name, image, command, port, limits, b, lifetime, maxLive, readiness, readyTimeout, warm);
    }

    public Template withReadiness(Readiness r) {
        return new Template(name, image, command, port, limits, bindMounts, lifetime, maxLive, r, readyTimeout, warm);
    }

    public Template withWarm(int w) {
        return new Template(name, image, command, port, limits, bindMounts, lifetime, maxLive, readiness, readyTimeout, w);
    }

    public Template withReadyTimeout(Duration d) {
        return new Template(name, image, command, port, limits, bindMounts, lifetime, maxLive, readiness, d, warm);
    }
}
