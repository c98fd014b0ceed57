package dev.cloche.console;

import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The NATS side of an agent: takes {@code task.start} (queue group, or addressed to it), acts on {@code task.stop}
 * for its own tasks, and publishes {@code task.advertise} periodically and after every change. A message is handled
 * on its own virtual thread, so a slow container creation holds up nothing else; no message can end the agent.
 */
final class NatsAgent implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(NatsAgent.class);

    private final Connection nats;
    private final Tasks tasks;
    private final String agentId;
    private final String sshHost;
    private final int sshPort;
    private final ExecutorService workers;
    private final ScheduledExecutorService timer;
    private Dispatcher dispatcher;
    private boolean closed;

    private static final Duration SUBSCRIBED_WAIT = Duration.ofSeconds(5);

    NatsAgent(Connection nats, Tasks tasks, String agentId, String sshHost, int sshPort, ExecutorService workers,
              ScheduledExecutorService timer) {
        this.nats = nats;
        this.tasks = tasks;
        this.agentId = agentId;
        this.sshHost = sshHost;
        this.sshPort = sshPort;
        this.workers = workers;
        this.timer = timer;
    }

    void start(Duration advertiseInterval) {
        dispatcher = nats.createDispatcher();
        dispatcher.subscribe(Subjects.START, Subjects.QUEUE, m -> workers.execute(() -> onStart(m)));
        dispatcher.subscribe(Subjects.startOn(agentId), m -> workers.execute(() -> onStart(m)));
        dispatcher.subscribe(Subjects.STOP, m -> workers.execute(() -> onStop(m)));
        try {
            // subscriptions go out asynchronously: a task.start sent right after start (or after the first
            // advertisement) would otherwise find no one listening
            nats.flush(SUBSCRIBED_WAIT);
        } catch (java.util.concurrent.TimeoutException e) {
            log.warn("console subscriptions not confirmed by NATS within {} (they are sent again on reconnect)", SUBSCRIBED_WAIT);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        tasks.onChange(this::advertise);
        timer.scheduleAtFixedRate(this::advertise, 0, advertiseInterval.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void onStart(Message m) {
        TaskReply reply;
        try {
            TaskStart start = TaskCodec.decodeStart(m.getData());
            reply = switch (tasks.start(start)) {
                case Tasks.Started s -> TaskReply.started(s.task(), agentId, sshHost, sshPort);
                case Tasks.Rejected r -> TaskReply.failed(r.task(), agentId, r.reason());
            };
        } catch (MalformedMessageException e) {
            log.warn("console malformed task.start ignored: {}", e.getMessage());
            reply = TaskReply.failed(TaskCodec.taskIdOrEmpty(m.getData()), agentId, "malformed task.start: " + e.getMessage());
        } catch (RuntimeException e) {
            log.error("console task.start failed", e);
            reply = TaskReply.failed(TaskCodec.taskIdOrEmpty(m.getData()), agentId, "internal error: " + e);
        }
        reply(m, reply);
    }

    private void onStop(Message m) {
        try {
            TaskStop stop = TaskCodec.decodeStop(m.getData());
            // other agents own other tasks: only the owner answers, so a requester gets the owner's word
            if (tasks.stop(stop.task())) {
                reply(m, TaskReply.stopped(stop.task(), agentId));
            }
        } catch (MalformedMessageException e) {
            log.warn("console malformed task.stop ignored: {}", e.getMessage());
        } catch (RuntimeException e) {
            log.error("console task.stop failed", e);
            reply(m, TaskReply.failed(TaskCodec.taskIdOrEmpty(m.getData()), agentId, "internal error: " + e));
        }
    }

    private void reply(Message m, TaskReply reply) {
        String to = m.getReplyTo();
        if (to == null || to.isEmpty()) {
            return;
        }
        try {
            nats.publish(to, TaskCodec.encode(reply));
        } catch (RuntimeException e) {
            log.warn("console could not reply to {}", to, e);
        }
    }

    /** Never throws: an exception would cancel the periodic schedule. */
    void advertise() {
        if (nats.getStatus() == Connection.Status.CLOSED) {
            return; // shutting down: the tasks ending now have nobody left to tell
        }
        try {
            nats.publish(Subjects.ADVERTISE, TaskCodec.encode(tasks.advertisement()));
        } catch (RuntimeException e) {
            log.warn("console advertisement not published", e);
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        tasks.onChange(() -> {});
        if (dispatcher != null) {
            nats.closeDispatcher(dispatcher);
        }
    }
}
