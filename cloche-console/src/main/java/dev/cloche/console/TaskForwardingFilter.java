package dev.cloche.console;

import dev.cloche.api.GardenException;
import org.apache.sshd.common.session.Session;
import org.apache.sshd.common.util.net.SshdSocketAddress;
import org.apache.sshd.server.forward.ForwardingFilter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a task's SSH clients may forward: only local forwarding ({@code ssh -L}, a direct-tcpip channel) to the task's
 * own container address, and only when the task was started with {@code "allow_forwarding": true}. Every other
 * destination (the host, other containers, names), remote forwarding ({@code -R}), X11 and agent forwarding are refused;
 * the SSH protocol carries no reason for those refusals, so the reason goes to the agent's log and OpenSSH prints its
 * own message (docs/console.md).
 */
final class TaskForwardingFilter implements ForwardingFilter {
    private static final Logger log = LoggerFactory.getLogger(TaskForwardingFilter.class);

    @Override
    public boolean canForwardAgent(Session session, String requestType) {
        return refuse(session, "agent forwarding is not offered");
    }

    @Override
    public boolean canForwardX11(Session session, String requestType) {
        return refuse(session, "X11 forwarding is not offered");
    }

    @Override
    public boolean canListen(SshdSocketAddress address, Session session) {
        return refuse(session, "remote forwarding (ssh -R) is not offered, asked to listen on " + address);
    }

    @Override
    public boolean canConnect(Type type, SshdSocketAddress address, Session session) {
        if (type != Type.Direct) {
            return refuse(session, "only local forwarding (ssh -L) is offered, not " + type);
        }
        SshConsole.Attached attached = session.getAttribute(SshConsole.ATTACHED);
        if (attached == null) {
            return refuse(session, "forwarding before authentication");
        }
        Task task = attached.task();
        if (!task.allowForwarding()) {
            return refuse(session, "task " + task.id() + " was started without allow_forwarding, asked for " + address);
        }
        String ip;
        try {
            ip = task.container().info().containerIp();
        } catch (GardenException | IllegalStateException e) {
            return refuse(session, "the address of task " + task.id() + "'s container is unknown: " + e.getMessage());
        }
        if (ip.isEmpty() || !ip.equals(address.getHostName())) {
            return refuse(session, "forwarding reaches only the task's container (" + ip + "), not " + address);
        }
        log.info("console forwarding task={} to={}:{} remote={}", task.id(), ip, address.getPort(), session.getRemoteAddress());
        return true;
    }

    private static boolean refuse(Session session, String reason) {
        log.info("console forwarding refused: {} remote={}", reason, session.getRemoteAddress());
        return false;
    }
}
