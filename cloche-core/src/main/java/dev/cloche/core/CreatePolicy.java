package dev.cloche.core;

import dev.cloche.api.BindMount;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ProcessSpec;
import java.io.IOException;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The operator's limits on what a container may reach on the host, checked by the core so that every edge (Garden
 * server, port layer, console, proxy) gets them: host bind mounts only below the allowed prefixes (the daemon's
 * {@code --allow-bind-mount-prefix}), and no privileged containers ({@code --no-privileged}). A refusal is an
 * {@link InvalidRequestException} naming the option, so the caller learns what to ask the operator for.
 *
 * <p>A source is judged by where it really is: {@code ..} and symlinks are resolved first (the part of the path that
 * exists is resolved on the host; a part that does not exist yet cannot be a symlink). The prefixes are resolved
 * the same way when the policy is built.
 *
 * @param bindMountPrefixes where host bind mounts may come from; empty = anywhere (Garden's behaviour)
 * @param privilegedAllowed whether a privileged container may be created
 */
public record CreatePolicy(List<Path> bindMountPrefixes, boolean privilegedAllowed) {
    /** Garden's behaviour: any host path, privileged containers allowed. */
    public static final CreatePolicy OPEN = new CreatePolicy(List.of(), true);

    static final String PREFIX_OPTION = "--allow-bind-mount-prefix";
    static final String PRIVILEGED_OPTION = "--no-privileged";

    public CreatePolicy {
        bindMountPrefixes = bindMountPrefixes.stream().map(CreatePolicy::prefix).toList();
    }

    /** A policy with these prefixes (each resolved now) and this stance on privileged containers. */
    public static CreatePolicy of(List<Path> bindMountPrefixes, boolean privilegedAllowed) {
        return new CreatePolicy(bindMountPrefixes, privilegedAllowed);
    }

    /** Refuses a container this policy does not allow. */
    public void check(ContainerSpec spec) {
        Objects.requireNonNull(spec, "spec");
        if (spec.privileged() && !privilegedAllowed) {
            throw new InvalidRequestException("privileged containers are refused by this server (" + PRIVILEGED_OPTION + ")");
        }
        checkMounts(spec.bindMounts());
    }

    /** Refuses a process (a pea: it may bind-mount host paths) this policy does not allow. */
    public void check(ProcessSpec spec) {
        Objects.requireNonNull(spec, "spec");
        checkMounts(spec.bindMounts());
    }

    private void checkMounts(List<BindMount> mounts) {
        if (bindMountPrefixes.isEmpty()) {
            return;
        }
        for (BindMount m : mounts) {
            if (m.origin() == BindMount.Origin.HOST && !allowed(m.srcPath())) {
                throw new InvalidRequestException("bind mount source '" + m.srcPath()
                        + "' is outside every " + PREFIX_OPTION + " of this server");
            }
        }
    }

    private boolean allowed(String source) {
        Path p;
        try {
            p = Path.of(source);
        } catch (InvalidPathException e) {
            return false;
        }
        if (!p.isAbsolute()) {
            return false;
        }
        // whole components: /data2 is not under /data; a path the kernel will not resolve is refused
        return resolved(p).map(real -> bindMountPrefixes.stream().anyMatch(real::startsWith)).orElse(false);
    }

    private static Path prefix(Path p) {
        Objects.requireNonNull(p, "prefix");
        if (!p.isAbsolute()) {
            throw new IllegalArgumentException(PREFIX_OPTION + " must be an absolute path, got " + p);
        }
        return resolved(p).orElseThrow(() -> new IllegalArgumentException(PREFIX_OPTION + " " + p + " cannot be resolved"));
    }

    /**
     * {@code p} with {@code ..} and every symlink resolved: its longest existing ancestor is resolved by the
     * kernel (realpath), the rest, which does not exist, is appended after removing {@code .} and {@code ..}
     * (a '..' that follows an existing symlink is resolved by the kernel, never lexically). Empty when the kernel
     * refuses for another reason (a file used as a directory, no permission).
     */
    static Optional<Path> resolved(Path p) {
        Path existing = p;
        Path rest = p.getFileSystem().getPath("");
        while (existing != null) {
            try {
                Path real = existing.toRealPath();
                return Optional.of(real.resolve(rest).normalize());
            } catch (NoSuchFileException e) {
                Path name = existing.getFileName();
                rest = name == null ? rest : name.resolve(rest);
                existing = existing.getParent();
            } catch (IOException e) {
                return Optional.empty();
            }
        }
        return Optional.empty();
    }
}
