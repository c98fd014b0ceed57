package dev.cloche.console;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.file.Path;
import java.util.Optional;
import org.apache.sshd.common.AttributeRepository.AttributeKey;
import org.apache.sshd.common.SshConstants;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.session.SessionListener;
import org.apache.sshd.server.SshServer;
import org.apache.sshd.server.auth.pubkey.RejectAllPublickeyAuthenticator;
import org.apache.sshd.server.keyprovider.SimpleGeneratorHostKeyProvider;
import org.apache.sshd.server.session.ServerSession;
import org.apache.sshd.sftp.server.SftpSubsystemFactory;
import dev.cloche.console.files.ContainerSftpAccessor;
import dev.cloche.console.recording.Recordings;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SSH server into tasks (Apache MINA SSHD): user name = task id, password = the task's secure token. Each
 * authenticated connection is one session of its task; shells and commands run as Garden processes in the task's
 * container ({@link TaskCommand}); SFTP (and OpenSSH's scp, which speaks SFTP) works on the container's files
 * ({@link TaskFileSystemFactory}); the legacy scp protocol is refused. Forwarding is {@link TaskForwardingFilter}'s:
 * {@code ssh -L} to the task's container when the task allows it, nothing else. Public-key and keyboard-interactive
 * auth are off.
 */
final class SshConsole implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SshConsole.class);
    /** The task a connection authenticated to, set once its password was accepted. */
    static final AttributeKey<Attached> ATTACHED = new AttributeKey<>();
    static final String LEGACY_SCP_REFUSED =
            "the legacy scp protocol (scp -O) is not served: use scp without -O (it speaks SFTP) or sftp";

    record Attached(Task task, ConsoleSession session) {}

    private final SshServer sshd;
    private final Tasks tasks;
    private boolean closed;

    private SshConsole(SshServer sshd, Tasks tasks) {
        this.sshd = sshd;
        this.tasks = tasks;
    }

    static SshConsole start(Tasks tasks, Recordings recordings, String host, int port, Path hostKey) {
        SshServer sshd = SshServer.setUpDefaultServer();
        SshConsole console = new SshConsole(sshd, tasks);
        sshd.setHost(host);
        sshd.setPort(port);
        // persistent: clients keep trusting the agent across restarts
        SimpleGeneratorHostKeyProvider keys = new SimpleGeneratorHostKeyProvider(hostKey);
        keys.setAlgorithm("EC");
        sshd.setKeyPairProvider(keys);
        sshd.setPasswordAuthenticator((user, password, session) -> console.authenticate(user, password, session));
        sshd.setPublickeyAuthenticator(RejectAllPublickeyAuthenticator.INSTANCE);
        sshd.setKeyboardInteractiveAuthenticator(null);
        sshd.setGSSAuthenticator(null);
        sshd.setForwardingFilter(new TaskForwardingFilter());
        sshd.setAgentFactory(null);
        sshd.setShellFactory(channel -> new TaskCommand(Optional.empty(), recordings, tasks));
        sshd.setCommandFactory((channel, command) -> RefusedCommand.isLegacyScp(command)
                ? new RefusedCommand(LEGACY_SCP_REFUSED)
                : new TaskCommand(Optional.of(command), recordings, tasks));
        sshd.setFileSystemFactory(new TaskFileSystemFactory());
        sshd.setSubsystemFactories(List.of(new SftpSubsystemFactory.Builder()
                .withFileSystemAccessor(new ContainerSftpAccessor()).build()));
        sshd.addSessionListener(new SessionListener() {
            @Override
            public void sessionClosed(Session session) {
                Attached a = session.getAttribute(ATTACHED);
                if (a != null) {
                    tasks.closeSession(a.task(), a.session());
                }
            }
        });
        try {
            sshd.start();
        } catch (IOException e) {
            throw new UncheckedIOException("console SSH server cannot listen on " + host + ":" + port, e);
        }
        return console;
    }

    /** Never logs the password; an unknown task and a wrong token are indistinguishable to the client. */
    private boolean authenticate(String user, String password, ServerSession session) {
        Optional<Task> task = tasks.authenticate(user, password);
        if (task.isEmpty()) {
            log.info("console ssh login refused user={} remote={}", user, session.getClientAddress());
            return false;
        }
        ConsoleSession handle = reason -> kick(session, reason);
        session.setAttribute(ATTACHED, new Attached(task.get(), handle));
        if (!tasks.openSession(task.get(), handle)) {
            session.removeAttribute(ATTACHED);
            return false;
        }
        if (!session.isOpen()) {
            // closed between the check and the registration: its close listener may have run before we registered
            tasks.closeSession(task.get(), handle);
            return false;
        }
        log.info("console ssh session opened task={} remote={}", user, session.getClientAddress());
        return true;
    }

    private static void kick(ServerSession session, String reason) {
        try {
            session.disconnect(SshConstants.SSH2_DISCONNECT_BY_APPLICATION, reason);
        } catch (IOException | RuntimeException e) {
            session.close(true);
        }
    }

    /** The bound port (the configured one, or the one the system picked for port 0). */
    int port() {
        SocketAddress a = sshd.getBoundAddresses().iterator().next();
        return ((InetSocketAddress) a).getPort();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            sshd.stop(true);
        } catch (IOException e) {
            log.warn("console SSH server did not stop cleanly", e);
        }
    }
}
