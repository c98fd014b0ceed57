package dev.cloche.server;

import io.netty.channel.Channel;
import io.netty.channel.nio.AbstractNioChannel;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Method;
import java.nio.channels.SelectableChannel;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code getsockopt(fd, SOL_SOCKET, SO_PEERCRED)} through FFM on a Netty NIO unix-socket channel.
 *
 * <p>The JDK's own {@code jdk.net.ExtendedSocketOptions.SO_PEERCRED} answers user and group <em>names</em> only, so
 * the pid needs the call itself, and the call needs the socket's fd. Netty's {@code NioDomainSocketChannel} (final)
 * keeps the JDK {@code SocketChannel} behind its protected {@code javaChannel()}, read here by reflection (Netty is on
 * the class path, so no JVM flag is needed for that); the JDK channel gives its fd through
 * {@code sun.nio.ch.SelChImpl.getFDVal()}, public in a package the JDK exports only with
 * {@code --add-exports java.base/sun.nio.ch=ALL-UNNAMED} (the daemon's launcher and the build pass it). Without the
 * flag the credentials are empty and this is said once in the log.
 */
final class SoPeerCred implements PeerCredentials {
    private static final Logger log = LoggerFactory.getLogger(SoPeerCred.class);

    private static final int SOL_SOCKET = 1;
    private static final int SO_PEERCRED = 17;
    private static final StructLayout UCRED = java.lang.foreign.MemoryLayout.structLayout(
            ValueLayout.JAVA_INT.withName("pid"), ValueLayout.JAVA_INT.withName("uid"), ValueLayout.JAVA_INT.withName("gid"));
    private static final VarHandle PID = UCRED.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("pid"));
    private static final VarHandle UID = UCRED.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("uid"));
    private static final VarHandle GID = UCRED.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("gid"));
    private static final StructLayout CAPTURED = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURED.varHandle(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));

    private final MethodHandle getsockopt;
    private final Optional<FdAccess> fds;

    SoPeerCred() {
        Linker linker = Linker.nativeLinker();
        this.getsockopt = linker.downcallHandle(linker.defaultLookup().find("getsockopt").orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
                        ValueLayout.ADDRESS, ValueLayout.ADDRESS),
                Linker.Option.captureCallState("errno"));
        this.fds = FdAccess.find();
    }

    @Override
    public Optional<Credentials> of(Channel channel) {
        if (fds.isEmpty() || !(channel instanceof AbstractNioChannel nio)) {
            return Optional.empty();
        }
        int fd;
        try {
            fd = fds.get().fd(nio);
        } catch (ReflectiveOperationException | RuntimeException e) {
            log.warn("cannot read the fd of {}: {}", channel, e.toString());
            return Optional.empty();
        }
        return peerCred(fd);
    }

    /** The kernel call on a socket fd. */
    Optional<Credentials> peerCred(int fd) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment cred = arena.allocate(UCRED);
            MemorySegment len = arena.allocate(ValueLayout.JAVA_INT);
            len.set(ValueLayout.JAVA_INT, 0, (int) UCRED.byteSize());
            MemorySegment errno = arena.allocate(CAPTURED);
            int rc = (int) getsockopt.invokeExact(errno, fd, SOL_SOCKET, SO_PEERCRED, cred, len);
            if (rc != 0) {
                log.warn("getsockopt(SO_PEERCRED) on fd {} failed: errno {}", fd, (int) ERRNO.get(errno, 0L));
                return Optional.empty();
            }
            return Optional.of(new Credentials((int) PID.get(cred, 0L), (int) UID.get(cred, 0L), (int) GID.get(cred, 0L)));
        } catch (Throwable t) {
            log.warn("getsockopt(SO_PEERCRED) on fd {} failed: {}", fd, t.toString());
            return Optional.empty();
        }
    }

    /** The reflective path from a Netty NIO channel to its fd, found once. */
    private record FdAccess(Method javaChannel, Method fdVal) {
        static Optional<FdAccess> find() {
            try {
                Method javaChannel = AbstractNioChannel.class.getDeclaredMethod("javaChannel");
                javaChannel.setAccessible(true);
                Method fdVal = Class.forName("sun.nio.ch.SelChImpl").getMethod("getFDVal");
                if (!Object.class.getModule().isExported("sun.nio.ch", SoPeerCred.class.getModule())) {
                    log.warn("peer credentials off: the JVM needs --add-exports java.base/sun.nio.ch=ALL-UNNAMED to read a "
                            + "unix socket's fd (audit records of unix-socket calls will carry no uid or pid)");
                    return Optional.empty();
                }
                return Optional.of(new FdAccess(javaChannel, fdVal));
            } catch (ReflectiveOperationException | RuntimeException e) {
                log.warn("peer credentials off: {}", e.toString());
                return Optional.empty();
            }
        }

        int fd(AbstractNioChannel ch) throws ReflectiveOperationException {
            SelectableChannel jdk = (SelectableChannel) javaChannel.invoke(ch);
            return (int) fdVal.invoke(jdk);
        }
    }
}
