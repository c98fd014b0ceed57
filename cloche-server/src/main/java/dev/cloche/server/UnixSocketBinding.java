package dev.cloche.server;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds the Garden unix socket so that it is never reachable by anyone but its owner and its group: the socket is
 * bound inside a fresh directory of mode 0700 beside its final path (its own mode then does not matter, nobody else
 * can reach it), made 0660 and given its group, and only then renamed into place (rename(2) is atomic and keeps
 * the inode, so the listening socket follows). A chmod after a bind at the final path would leave a window in which
 * any local user could connect; a process-wide umask would race with every other thread creating files.
 *
 * <p>The socket's group is {@code --socket-group} (a name or a numeric gid); without it, the daemon's own group
 * (root's, for a daemon run as root). Members of the group must be able to search the socket's directory; if they
 * cannot, that is said at start.
 */
final class UnixSocketBinding {
    private static final Logger LOG = LoggerFactory.getLogger(GardenServer.class);
    private static final Set<PosixFilePermission> SOCKET_MODE = PosixFilePermissions.fromString("rw-rw----");

    private UnixSocketBinding() {}

    /** Binds {@code path} with {@code bootstrap} and returns the listening channel; on failure nothing is left behind. */
    static Channel bind(ServerBootstrap bootstrap, Path path, Optional<String> group) throws IOException {
        Optional<GroupPrincipal> owner = group.isEmpty() ? Optional.empty() : Optional.of(lookup(group.get()));
        Path dir = path.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path staging = Files.createTempDirectory(dir, ".socket-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        Path bound = staging.resolve("s");
        try {
            Channel ch = bootstrap.bind(UnixDomainSocketAddress.of(bound)).syncUninterruptibly().channel();
            try {
                Files.setPosixFilePermissions(bound, SOCKET_MODE);
                if (owner.isPresent()) {
                    Files.getFileAttributeView(bound, PosixFileAttributeView.class).setGroup(owner.get());
                }
                // replaces a stale socket of an earlier run in the same step
                Files.move(bound, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException | RuntimeException e) {
                ch.close().syncUninterruptibly();
                throw e;
            }
            owner.ifPresent(g -> warnIfUnreachable(dir, g));
            return ch;
        } finally {
            Files.deleteIfExists(bound);
            Files.deleteIfExists(staging);
        }
    }

    private static GroupPrincipal lookup(String group) {
        try {
            // the JDK takes a numeric gid when no group has that name
            return FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(group);
        } catch (IOException e) {
            throw new IllegalArgumentException("--socket-group: no group '" + group + "' on this host", e);
        }
    }

    /** The group's members need search permission on the directory: as its group, or as anyone. */
    private static void warnIfUnreachable(Path dir, GroupPrincipal group) {
        try {
            PosixFileAttributes a = Files.readAttributes(dir, PosixFileAttributes.class);
            Set<PosixFilePermission> p = a.permissions();
            boolean searchable = p.contains(PosixFilePermission.OTHERS_EXECUTE)
                    || (p.contains(PosixFilePermission.GROUP_EXECUTE) && a.group().equals(group));
            if (!searchable) {
                LOG.warn("members of group {} cannot reach the socket: its directory {} ({} {}) is not searchable by"
                        + " them; run chgrp {} {} && chmod g+x {}", group.getName(), dir,
                        PosixFilePermissions.toString(p), a.group().getName(), group.getName(), dir, dir);
            }
        } catch (IOException e) {
            LOG.warn("cannot read the socket directory {}: {}", dir, e.getMessage());
        }
    }
}
