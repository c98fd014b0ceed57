package dev.cloche.console;

import dev.cloche.api.Capacity;
import dev.cloche.api.GardenClient;
import dev.cloche.console.recording.Recordings;
import java.time.Clock;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * narc on Cloche: a console agent. It takes tasks from NATS, gives each a fresh container through {@link GardenClient}
 * (in-process or remote), lets clients in over SSH, and destroys the container when the task is done.
 *
 * <p>Closing it stops taking tasks, disconnects every SSH session and closes the SSH server, and disconnects from NATS;
 * the tasks and their containers stay, kept under the state directory, and the next start of the same agent (id and
 * state directory) resumes them. Ending a task is {@code task.stop} (or its idle time). It never closes the
 * {@link GardenClient}, which the caller owns.
 */
public final class Console implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Console.class);

    private final ConsoleConfig config;
    private final List<AutoCloseable> resources;
    private final SshConsole ssh;
    private final Tasks tasks;
    private boolean closed;

    private Console(ConsoleConfig config, List<AutoCloseable> resources, SshConsole ssh, Tasks tasks) {
        this.config = config;
        this.resources = resources;
        this.ssh = ssh;
        this.tasks = tasks;
    }

    public static Console start(GardenClient garden, ConsoleConfig config) {
        List<AutoCloseable> resources = new ArrayList<>(); // closed in reverse order
        try {
            Files.createDirectories(config.stateDir());
            ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                    Thread.ofPlatform().name("console-timer").daemon().factory());
            resources.add(() -> {
                timer.shutdownNow();
                timer.awaitTermination(10, TimeUnit.SECONDS);
            });
            ExecutorService workers = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("console-", 0).factory());
            resources.add(workers::close);
            Capacity capacity = garden.capacity();
            Tasks tasks = new Tasks(garden, config.agentId(),
                    config.memoryMiB().orElse(capacity.memoryInBytes() >> 20),
                    config.diskMiB().orElse(capacity.diskInBytes() >> 20),
                    new Tasks.Lifetimes(config.sessionGrace(), config.idle(), config.reconnectGrace()),
                    new JsonTaskStore(config.stateDir().resolve("tasks")), Clock.systemUTC(), Scheduler.of(timer), workers);
            tasks.resume();
            SshConsole ssh = SshConsole.start(tasks, new Recordings(config.recordingsDir(), Clock.systemUTC()),
                    config.sshHost(), config.sshPort(), config.stateDir().resolve("ssh_host_ec_key"));
            resources.add(ssh);
            resources.add(tasks); // closed before the SSH server: the kicked sessions must not end their tasks
            Connection nats = Nats.connect(Options.builder().server(config.natsUrl())
                    .connectionName("cloche-console-" + config.agentId()).maxReconnects(-1).build());
            resources.add(nats::close);
            NatsAgent agent = new NatsAgent(nats, tasks, config.agentId(), config.sshHost(), ssh.port(), workers, timer);
            resources.add(agent);
            agent.start(config.advertiseInterval());
            log.info("console started agent={} nats={} ssh={}:{} grace={} idle={} reconnect={} budget_memory_mib={} budget_disk_mib={}",
                    config.agentId(), config.natsUrl(), config.sshHost(), ssh.port(), config.sessionGrace(), config.idle(), config.reconnectGrace(),
                    tasks.advertisement().availableMemoryMiB(), tasks.advertisement().availableDiskMiB());
            return new Console(config, resources, ssh, tasks);
        } catch (IOException e) {
            closeAll(resources);
            throw new UncheckedIOException("console cannot start: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            closeAll(resources);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while connecting to NATS", e);
        } catch (RuntimeException e) {
            closeAll(resources);
            throw e;
        }
    }

    public String agentId() {
        return config.agentId();
    }

    public int sshPort() {
        return ssh.port();
    }

    /** The ids of the tasks this agent runs now. */
    public List<String> tasks() {
        return tasks.ids();
    }

    /** A task as an operator sees it (the web console): open sessions, container handle (empty while starting), memory reserved. */
    public record TaskStatus(String id, int sessions, String handle, long memoryMiB) {
    }

    /** This agent's tasks now. */
    public List<TaskStatus> taskStatuses() {
        return tasks.statuses();
    }

    /** Ends a task now, as task.stop does (sessions closed, container destroyed); false if this agent has no such task. */
    public boolean stop(String task) {
        return tasks.stop(task);
    }

    /** How many SSH sessions are open now, on all tasks (for metrics). */
    public int sshSessions() {
        return tasks.sessions();
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.info("console stopping agent={}; its tasks and their containers stay for its next start", config.agentId());
        closeAll(resources);
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                log.warn("console resource did not close cleanly", e);
            }
        }
    }
}
