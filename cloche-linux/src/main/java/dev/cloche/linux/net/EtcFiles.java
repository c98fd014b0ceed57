package dev.cloche.linux.net;

import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

/** A container's /etc/hosts and /etc/resolv.conf, owned by its root; symlinks in the image are replaced, not followed. */
final class EtcFiles {
    private final List<String> nameservers;

    EtcFiles(List<String> nameservers) {
        this.nameservers = List.copyOf(nameservers);
    }

    /** {@code localhost} and the container's hostname at {@code containerIp}, and the nameservers. */
    void write(Path rootfs, String hostname, String containerIp, long rootUid) {
        Path etc = rootfs.resolve("etc");
        try {
            if (Files.isSymbolicLink(etc)) {
                throw new InvalidRequestException("the image's /etc is a symlink: cannot write /etc/hosts");
            }
            if (!Files.isDirectory(etc, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectory(etc);
                own(etc, rootUid, "rwxr-xr-x");
            }
            StringBuilder resolv = new StringBuilder();
            for (String d : nameservers) resolv.append("nameserver ").append(d).append('\n');
            replace(etc.resolve("hosts"), "127.0.0.1 localhost\n" + containerIp + " " + hostname + "\n", rootUid);
            replace(etc.resolve("resolv.conf"), resolv.toString(), rootUid);
        } catch (IOException e) {
            throw GardenError.internal("cannot write /etc/hosts or /etc/resolv.conf: " + e.getMessage(), e);
        }
    }

    private static void replace(Path p, String content, long uid) throws IOException {
        Files.deleteIfExists(p);
        Files.writeString(p, content);
        own(p, uid, "rw-r--r--");
    }

    private static void own(Path p, long uid, String perms) throws IOException {
        // a uid above 2^31 (Guardian's unprivileged root) passes as its int bit pattern
        Files.setAttribute(p, "unix:uid", (int) uid, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(p, "unix:gid", (int) uid, LinkOption.NOFOLLOW_LINKS);
        Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }
}
