package dev.cloche.server;

import io.netty.channel.Channel;
import java.util.Optional;

/**
 * Who is at the other end of an accepted unix-socket connection, as the kernel says (SO_PEERCRED: the peer's pid,
 * uid and gid when it connected). The seam between the server and the kernel call; tests can put a fake in its place.
 */
interface PeerCredentials {
    /** The peer's credentials; empty when they cannot be read (then the caller names only the socket). */
    Optional<Credentials> of(Channel channel);

    record Credentials(long pid, int uid, int gid) {
    }

    /** For servers that do not ask. */
    PeerCredentials NONE = ch -> Optional.empty();
}
