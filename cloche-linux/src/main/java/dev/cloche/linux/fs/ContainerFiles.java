package dev.cloche.linux.fs;

import dev.cloche.api.GardenError;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * Looks at files inside a container's root filesystem from the host, resolving symlinks against the container's
 * root so that no lookup escapes it.
 */
public final class ContainerFiles {
    private static final int MAX_LINKS = 40;
    private final Path root;

    public ContainerFiles(Path root) {
        this.root = root;
    }

    /** A user of the container as its process runs: ids, home and name. */
    public record User(String name, long uid, long gid, String home) {}

    /**
     * Resolves {@code path} (absolute, relative to {@code cwd} when it has a slash, else searched in {@code pathVar})
     * to an executable regular file inside the rootfs; empty when there is none.
     */
    public Optional<String> findExecutable(String path, String cwd, String pathVar) {
        if (path.isEmpty()) {
            return Optional.empty();
        }
        if (path.contains("/")) {
            String abs = path.startsWith("/") ? path : cwd + "/" + path;
            return isExecutable(abs) ? Optional.of(abs) : Optional.empty();
        }
        for (String dir : pathVar.split(":")) {
            if (dir.isEmpty()) continue;
            String candidate = (dir.startsWith("/") ? dir : cwd + "/" + dir) + "/" + path;
            if (isExecutable(candidate)) return Optional.of(candidate);
        }
        return Optional.empty();
    }

    private boolean isExecutable(String containerPath) {
        return resolve(containerPath).filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                .filter(p -> {
                    try {
                        return Files.getPosixFilePermissions(p, LinkOption.NOFOLLOW_LINKS).stream()
                                .anyMatch(x -> x.name().endsWith("_EXECUTE"));
                    } catch (IOException e) {
                        return false;
                    }
                }).isPresent();
    }

    /**
     * The host path of {@code containerPath} with every symlink resolved as the container would (absolute targets
     * relative to its root, ".." never above it); empty when a component is missing or links loop.
     */
    public Optional<Path> resolve(String containerPath) {
        Deque<String> todo = new ArrayDeque<>(split(containerPath));
        Deque<String> done = new ArrayDeque<>();
        int links = 0;
        while (!todo.isEmpty()) {
            String part = todo.pollFirst();
            if (part.isEmpty() || part.equals(".")) continue;
            if (part.equals("..")) {
                done.pollLast();
                continue;
            }
            Path host = hostPath(done).resolve(part);
            if (Files.isSymbolicLink(host)) {
                if (++links > MAX_LINKS) return Optional.empty();
                String target;
                try {
                    target = Files.readSymbolicLink(host).toString();
                } catch (IOException e) {
                    return Optional.empty();
                }
                if (target.startsWith("/")) done.clear();
                List<String> t = split(target);
                for (int i = t.size() - 1; i >= 0; i--) todo.addFirst(t.get(i));
                continue;
            }
            if (!Files.exists(host, LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
            done.addLast(part);
        }
        return Optional.of(hostPath(done));
    }

    private Path hostPath(Deque<String> parts) {
        Path p = root;
        for (String s : parts) p = p.resolve(s);
        return p;
    }

    private static List<String> split(String p) {
        return List.of(p.split("/"));
    }

    /**
     * Resolves a Garden user: empty = root; a name from /etc/passwd; "uid" or "uid:gid" numerically; or
     * "user:group" where either side is a name (from /etc/passwd, /etc/group) or a number.
     */
    public User user(String user) {
        String name = user.isEmpty() ? "root" : user;
        int colon = name.indexOf(':');
        if (colon > 0 && !name.matches("\\d+:\\d+")) {
            User base = user(name.substring(0, colon));
            String group = name.substring(colon + 1);
            long gid = group.matches("\\d+") ? Long.parseLong(group) : groups().getOrDefault(group, -1L);
            if (gid < 0) {
                throw GardenError.internal("unable to find group " + group + " in the container's /etc/group");
            }
            return new User(base.name(), base.uid(), gid, base.home());
        }
        Optional<User> fromPasswd = passwd().stream().filter(u -> u.name().equals(name)).findFirst();
        if (fromPasswd.isPresent()) {
            return fromPasswd.get();
        }
        if (name.matches("\\d+(:\\d+)?")) {
            String[] ids = name.split(":");
            long uid = Long.parseLong(ids[0]);
            long gid = ids.length > 1 ? Long.parseLong(ids[1]) : uid;
            String home = passwd().stream().filter(u -> u.uid() == uid).map(User::home).findFirst().orElse("/");
            return new User(name, uid, gid, home);
        }
        if (name.equals("root")) {
            return new User("root", 0, 0, "/root");
        }
        throw GardenError.internal("unable to find user " + name + " in the container's /etc/passwd");
    }

    private java.util.Map<String, Long> groups() {
        Optional<Path> file = resolve("/etc/group");
        java.util.Map<String, Long> out = new java.util.HashMap<>();
        if (file.isEmpty()) return out;
        try {
            for (String l : Files.readAllLines(file.get())) {
                String[] f = l.split(":", -1);
                if (f.length >= 3 && f[2].matches("\\d+")) {
                    out.putIfAbsent(f[0], Long.parseLong(f[2]));
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    private List<User> passwd() {
        Optional<Path> file = resolve("/etc/passwd");
        if (file.isEmpty()) return List.of();
        try {
            return Files.readAllLines(file.get()).stream().map(l -> l.split(":", -1)).filter(f -> f.length >= 6)
                    .filter(f -> f[2].matches("\\d+") && f[3].matches("\\d+"))
                    .map(f -> new User(f[0], Long.parseLong(f[2]), Long.parseLong(f[3]), f[5].isEmpty() ? "/" : f[5]))
                    .toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
