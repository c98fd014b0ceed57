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
 * how long it lives and how many may live at once.
 */
public record Template(String name, String image, List<String> command, int port, Limits limits,
                       List<BindMount> bindMounts, Duration ttl, int maxLive) {

    /**
     * busybox httpd with a generated index page: the default when no template is configured. 64 MiB and 256 pids, so
     * a visitor cannot starve the host or fork-bomb it; busybox httpd forks one child per connection.
     */
    public static final Template DEFAULT = new Template("default", "", List.of("/bin/sh", "-c",
            "mkdir -p /www && echo '<h1>Hello from a Cloche environment</h1>' > /www/index.html"
                    + " && exec httpd -f -p 8080 -h /www"), 8080,
            Limits.NONE.withMemory(new MemoryLimits(64L << 20)).withPid(new PidLimits(256)), List.of(), Duration.ofMinutes(30), 20);

    public Template {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(image, "image");
        command = List.copyOf(command);
        bindMounts = List.copyOf(bindMounts);
        Objects.requireNonNull(ttl, "ttl");
        Objects.requireNonNull(limits, "limits");
        if (!name.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")) throw new IllegalArgumentException("bad template name: " + name);
        if (command.isEmpty()) throw new IllegalArgumentException("template " + name + " has no command");
        if (port < 1 || port > 65535) throw new IllegalArgumentException("template " + name + ": bad port " + port);
        if (ttl.isNegative() || ttl.isZero()) throw new IllegalArgumentException("template " + name + ": ttl must be positive");
        if (maxLive < 1) throw new IllegalArgumentException("template " + name + ": maxLive must be at least 1");
    }

    public Template withName(String n) {
        return new Template(n, image, command, port, limits, bindMounts, ttl, maxLive);
    }

    public Template withCommand(List<String> c) {
        return new Template(name, image, c, port, limits, bindMounts, ttl, maxLive);
    }

    public Template withPort(int p) {
        return new Template(name, image, command, p, limits, bindMounts, ttl, maxLive);
    }

    public Template withTtl(Duration t) {
        return new Template(name, image, command, port, limits, bindMounts, t, maxLive);
    }

    public Template withMaxLive(int m) {
        return new Template(name, image, command, port, limits, bindMounts, ttl, m);
    }

    public Template withLimits(Limits l) {
        return new Template(name, image, command, port, l, bindMounts, ttl, maxLive);
    }

    public Template withBindMounts(List<BindMount> b) {
        return new Template(name, image, command, port, limits, b, ttl, maxLive);
    }
}
