package dev.cloche.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.docker.DockerBackendProvider;
import dev.cloche.spi.ContainerBackend;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console, unchanged, on the docker backend: a private nats-server, the in-process core over dockerd (the private
 * engine scripts/test-engines.sh starts, {@code cloche.dockerHost}), OpenSSH's client and tmux. Every task's
 * container is an engine container; sessions are engine execs, with a pty for interactive shells.
 */
class ConsoleDockerIT {
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static final String OWNER = "console-it-" + UUID.randomUUID().toString().substring(0, 8);
    private static final String TMUX = "cloche-console-docker-it";
    private static Path dir;
    private static NatsServer natsServer;
    private static ContainerBackend backend;
    private static GardenClient garden;
    private static Console agent;
    private static Connection nats;

    @BeforeAll
    static void setUp() throws Exception {
        String host = System.getProperty("cloche.dockerHost", "");
        assumeThat(host).as("cloche.dockerHost (scripts/test-engines.sh start)").isNotEmpty();
        dir = Files.createTempDirectory("cloche-console-docker-it");
        natsServer = NatsServer.start();
        backend = new DockerBackendProvider().create(Map.of("dockerHost", host, "owner", OWNER,
                "state", dir.resolve("state").toString(),
                "defaultRootfs", System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs")));
        garden = ContainerManager.start(backend, CoreConfig.DEFAULTS);
        agent = Console.start(garden, ConsoleConfig.defaults("docker", natsServer.url(), dir.resolve("agent"))
                .withSsh("127.0.0.1", 0).withSessionGrace(Duration.ZERO).withAdvertiseInterval(Duration.ofMillis(500))
                .withBudget(OptionalLong.of(4096), OptionalLong.of(10000)));
        nats = Nats.connect(natsServer.url());
    }

    @AfterAll
    static void tearDown() throws Exception {
        List<String> left = new ArrayList<>();
        // a closed agent keeps its tasks for its next start: end them first
        stopAll(agent);
        if (agent != null) agent.close();
        if (nats != null) nats.close();
        if (garden != null) {
            for (Container c : garden.containers(Map.of())) {
                left.add(c.handle());
                try {
                    c.destroy();
                } catch (ContainerNotFoundException gone) {
                    // ended by the console since the listing
                }
            }
            garden.close();
        }
        if (backend != null) backend.close();
        if (natsServer != null) natsServer.close();
        if (dir != null) sh("tmux -L " + TMUX + " kill-server 2>/dev/null; rm -rf " + dir + "; true");
        assertThat(left).as("containers left behind by the console").isEmpty();
    }

    private static String sh(String script) throws IOException, InterruptedException {
        java.lang.Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        String out = Ssh.read(p.getInputStream());
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    private static String newId() {
        return "dk-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
    }

    private static TaskReply request(String subject, byte[] payload) throws InterruptedException {
        Message m = nats.request(subject, payload, Duration.ofSeconds(60));
        assertThat(m).as("a reply on " + subject).isNotNull();
        return TaskCodec.decodeReply(m.getData());
    }

    private static TaskReply start(String task, String token, OptionalLong memory, OptionalLong disk) throws InterruptedException {
        return request(Subjects.startOn(agent.agentId()), TaskCodec.encode(new TaskStart(task, token, memory, disk)));
    }

    private static TaskReply stop(String task) throws InterruptedException {
        return request(Subjects.STOP, TaskCodec.encode(new TaskStop(task)));
    }

    private static boolean exists(String handle) {
        try {
            garden.lookup(handle);
            return true;
        } catch (ContainerNotFoundException e) {
            return false;
        }
    }

    @Test
    void oneOffCommandsStreamStdioAndReturnTheirExitStatus() throws Exception {
        String task = newId();
        String token = UUID.randomUUID().toString();
        TaskReply r = start(task, token, OptionalLong.of(256), OptionalLong.empty());
        assertThat(r.ok()).as(r.toString()).isTrue();
        int port = agent.sshPort();
        // an ssh session with a command keeps the task: the last one ending ends it (no grace), so hold one open
        java.lang.Process holder = Ssh.start(port, task, token, List.of(), "echo held; sleep 600");
        try {
            assertThat(new String(holder.getInputStream().readNBytes(5), StandardCharsets.UTF_8)).isEqualTo("held\n");
            assertThat(Ssh.run(port, task, token, "", "echo hi")).isEqualTo(new Ssh.Result(0, "hi\n", ""));
            assertThat(Ssh.run(port, task, token, "", "echo out; echo err >&2; exit 7")).isEqualTo(new Ssh.Result(7, "out\n", "err\n"));
            assertThat(Ssh.run(port, task, token, "hello\nworld\n", "tr a-z A-Z").stdout()).isEqualTo("HELLO\nWORLD\n");
            Ssh.run(port, task, token, "", "echo kept > /tmp/f");
            assertThat(Ssh.run(port, task, token, "", "cat /tmp/f; tty").stdout()).isEqualTo("kept\nnot a tty\n");
            assertThat(Ssh.run(port, task, token, "", "no-such-command").exit()).isEqualTo(127);
            // the task's memory reservation is the engine container's memory limit
            assertThat(garden.lookup(task).currentMemoryLimits().limitInBytes()).isEqualTo(256L << 20);
            assertThat(Ssh.run(port, task, "wrong-" + token, "", "echo hi").exit()).isEqualTo(255);
        } finally {
            holder.destroyForcibly();
        }
        // the held session's hang-up was its last: the task and its container end
        await().atMost(Duration.ofSeconds(60)).until(() -> !exists(task));
        await().atMost(Duration.ofSeconds(10)).until(() -> !agent.tasks().contains(task));
    }

    @Test
    void anInteractiveShellHasAPtyThatFollowsTheWindowSize() throws Exception {
        String task = newId();
        String token = UUID.randomUUID().toString();
        assertThat(start(task, token, OptionalLong.empty(), OptionalLong.empty()).ok()).isTrue();
        String session = "s" + SEQ.incrementAndGet();
        String cmd = String.join(" ", Ssh.argv(agent.sshPort(), task, token, "-tt").stream().map(a -> "'" + a + "'").toList());
        sh("tmux -L " + TMUX + " new-session -d -s " + session + " -x 100 -y 30 \"" + cmd.replace("\"", "\\\"") + "\"");
        try {
            await().atMost(Duration.ofSeconds(60)).until(() -> pane(session).contains("#"));
            sh("tmux -L " + TMUX + " send-keys -t " + session + " 'stty size; tty' Enter");
            await().atMost(Duration.ofSeconds(30)).until(() -> pane(session).contains("30 100"));
            assertThat(pane(session)).contains("/dev/pts/");
            sh("tmux -L " + TMUX + " resize-window -t " + session + " -x 120 -y 40");
            // tmux → ssh (SIGWINCH) → window-change → Garden setTty → the engine's exec resize
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                sh("tmux -L " + TMUX + " send-keys -t " + session + " 'stty size' Enter");
                Thread.sleep(300);
                return pane(session).contains("40 120");
            });
            sh("tmux -L " + TMUX + " send-keys -t " + session + " 'exit 3' Enter");
            await().atMost(Duration.ofSeconds(30)).until(() -> !sh("tmux -L " + TMUX + " has-session -t " + session + " 2>&1").isEmpty());
            await().atMost(Duration.ofSeconds(60)).until(() -> !exists(task));
        } finally {
            sh("tmux -L " + TMUX + " kill-session -t " + session + " 2>/dev/null; true");
            if (exists(task)) stop(task);
        }
    }

    private static String pane(String session) throws IOException, InterruptedException {
        return sh("tmux -L " + TMUX + " capture-pane -p -t " + session);
    }

    @Test
    void taskStopDisconnectsARunningSession() throws Exception {
        String task = newId();
        String token = UUID.randomUUID().toString();
        assertThat(start(task, token, OptionalLong.empty(), OptionalLong.empty()).ok()).isTrue();
        java.lang.Process ssh = Ssh.start(agent.sshPort(), task, token, List.of(), "echo started; sleep 600");
        InputStream out = ssh.getInputStream();
        assertThat(new String(out.readNBytes(8), StandardCharsets.UTF_8)).isEqualTo("started\n");
        TaskReply stopped = stop(task);
        assertThat(stopped.ok()).isTrue();
        assertThat(ssh.waitFor(60, TimeUnit.SECONDS)).as("ssh disconnected").isTrue();
        assertThat(ssh.exitValue()).isNotZero();
        assertThat(Ssh.read(ssh.getErrorStream())).contains("task " + task + " ended");
        assertThat(exists(task)).isFalse();
    }

    /** Disk reservations need a per-container size, which the engine's storage here cannot give: the start says so. */
    @Test
    void aDiskReservationIsRefusedWithTheReasonAndNothingIsLeft() throws Exception {
        String task = newId();
        TaskReply r = start(task, UUID.randomUUID().toString(), OptionalLong.empty(), OptionalLong.of(100));
        assertThat(r.ok()).isFalse();
        assertThat(r.error()).get().asString().contains("not supported by the docker backend: disk limits");
        assertThat(exists(task)).isFalse();
        assertThat(agent.tasks()).doesNotContain(task);
    }

    @Test
    void tenConcurrentTasksWithConcurrentSessions() throws Exception {
        int n = 10;
        List<String> ids = new ArrayList<>();
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(newId());
            tokens.add(UUID.randomUUID().toString());
        }
        try (var pool = Executors.newVirtualThreadPerTaskExecutor()) {
            List<CompletableFuture<TaskReply>> started = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int k = i;
                started.add(CompletableFuture.supplyAsync(() -> {
                    try {
                        return start(ids.get(k), tokens.get(k), OptionalLong.empty(), OptionalLong.empty());
                    } catch (InterruptedException e) {
                        throw new IllegalStateException(e);
                    }
                }, pool));
            }
            for (var f : started) assertThat(f.get(300, TimeUnit.SECONDS).ok()).as(f.get().toString()).isTrue();
            // two sessions per task at once, each in its own task's container (whose hostname is the task id)
            List<CompletableFuture<Ssh.Result>> sessions = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                for (int s = 0; s < 2; s++) {
                    String id = ids.get(i);
                    String token = tokens.get(i);
                    String cmd = "sleep 1; echo " + id + "-" + s + "-$(hostname)";
                    sessions.add(CompletableFuture.supplyAsync(() -> Ssh.run(agent.sshPort(), id, token, "", cmd), pool));
                }
            }
            for (int i = 0; i < sessions.size(); i++) {
                String id = ids.get(i / 2);
                assertThat(sessions.get(i).get(300, TimeUnit.SECONDS)).isEqualTo(new Ssh.Result(0, id + "-" + (i % 2) + "-" + id + "\n", ""));
            }
        }
        await().atMost(Duration.ofSeconds(120)).until(() -> ids.stream().noneMatch(ConsoleDockerIT::exists));
    }

    /** Ends the tasks an agent still has, as a scheduler would, so that closing it leaves no container. */
    private static void stopAll(Console agent) {
        if (agent == null || nats == null) {
            return;
        }
        for (String t : agent.tasks()) {
            try {
                nats.request(Subjects.STOP, TaskCodec.encode(new TaskStop(t)), Duration.ofSeconds(60));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
