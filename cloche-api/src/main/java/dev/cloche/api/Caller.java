package dev.cloche.api;

import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Who made a call, as the edge that received it knows it: for the audit log, logs and events.
 *
 * @param transport how the call arrived: {@code unix}, {@code tcp}, {@code tls}, or {@code internal} (a front-end
 *                  in the daemon, such as the console or the proxy, calling the core in-process)
 * @param address   the peer's address ({@code host:port} on TCP, the socket path on a unix socket, the front-end's
 *                  name for an internal call)
 * @param uid       the peer process's uid, when the kernel says it (SO_PEERCRED on a unix socket)
 * @param pid       the peer process's pid, likewise
 * @param subject   the subject of the client certificate, on mTLS
 */
public record Caller(String transport, String address, OptionalInt uid, OptionalLong pid, Optional<String> subject) {
    public Caller {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(address, "address");
        Objects.requireNonNull(uid, "uid");
        Objects.requireNonNull(pid, "pid");
        Objects.requireNonNull(subject, "subject");
    }

    /** A call made inside the daemon by the named front-end. */
    public static Caller internal(String frontEnd) {
        return new Caller("internal", frontEnd, OptionalInt.empty(), OptionalLong.empty(), Optional.empty());
    }

    public Caller withPeer(int uid, long pid) {
        return new Caller(transport, address, OptionalInt.of(uid), OptionalLong.of(pid), subject);
    }

    public Caller withSubject(String subject) {
        return new Caller(transport, address, uid, pid, Optional.of(subject));
    }
}
