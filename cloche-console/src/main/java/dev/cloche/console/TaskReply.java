package dev.cloche.console;

import java.util.Objects;
import java.util.Optional;

/**
 * The answer to a {@code task.start} or {@code task.stop} that carried a reply subject:
 * {@code {"task":"t1","ok":true,"agent":"a1","ssh_host":"127.0.0.1","ssh_port":2222}} or
 * {@code {"task":"t1","ok":false,"agent":"a1","error":"..."}}.
 *
 * @param task the task id, empty when the message was too malformed to carry one
 * @param sshHost where to connect, present on a successful start
 */
public record TaskReply(String task, boolean ok, String agent, Optional<String> error, Optional<String> sshHost,
                        int sshPort) {
    public TaskReply {
        Objects.requireNonNull(task, "task");
        Objects.requireNonNull(agent, "agent");
        Objects.requireNonNull(error, "error");
        Objects.requireNonNull(sshHost, "sshHost");
    }

    static TaskReply started(String task, String agent, String sshHost, int sshPort) {
        return new TaskReply(task, true, agent, Optional.empty(), Optional.of(sshHost), sshPort);
    }

    static TaskReply stopped(String task, String agent) {
        return new TaskReply(task, true, agent, Optional.empty(), Optional.empty(), 0);
    }

    static TaskReply failed(String task, String agent, String error) {
        return new TaskReply(task, false, agent, Optional.of(error), Optional.empty(), 0);
    }
}
