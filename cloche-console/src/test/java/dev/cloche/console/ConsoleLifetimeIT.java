package dev.cloche.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenClient;
import dev.cloche.console.recording.AsciicastPlayer;
import dev.cloche.console.recording.Recordings;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.linux.LinuxBackendProvider;
import dev.cloche.spi.ContainerBackend;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The console's longer lives, for real (root: a private nats-server, runc containers through the in-process core,
 * OpenSSH with sshpass): session recordings, idle expiry, tasks that outlive an agent restart, shells that outlive a
 * dropped connection, and a NATS server restarted under live tasks. Each test runs its own agent(s).
 */
class ConsoleLifetimeIT {
    private static final String PARENT = "cloche-console-life-it";
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static Path dir;
    private static NatsServer natsServer;
    private static ContainerBackend backend;
    private static GardenClient garden;
    private static Connection nats;

    @BeforeAll
    static void setUp() throws Exception {
        dir = Files.createTempDirectory("cloche-console-life-it", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        natsServer = NatsServer.start();
        backend = new LinuxBackendProvider().create(Map.of("depot", dir.resolve("depot").toString(),
                "runtimeRoot", dir.resolve("runtime").toString(), "cgroupParent", PARENT,
                "defaultRootfs", System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs"),
                "initBinary", System.getProperty("cloche.init", "/var/lib/cloche/bin/cloche-init")));
        garden = ContainerManager.start(backend, CoreConfig.DEFAULTS);
        nats = Nats.connect(io.nats.client.Options.builder().server(natsServer.url()).maxReconnects(-1).build());
    }

    @AfterAll
    static void tearDown() throws Exception {
        List<String> left = new ArrayList<>();
        if (nats != null) nats.close();
        if (garden != null) {
            for (Container c : garden.containers(Map.of())) {
                left.add(c.handle());
                try {
                    c.destroy();
                } catch (ContainerNotFoundException gone) {
                    // ended since the listing
                }
            }
            garden.close();
        }
        if (backend != null) backend.close();
        if (natsServer != null) natsServer.close();
        sh("for c in $(runc --root " + dir.resolve("runtime") + " list -q 2>/dev/null); do runc --root " + dir.resolve("runtime")
                + " delete --force $c; done; grep ' " + dir + "' /proc/self/mounts | cut -d' ' -f2 | xargs -r -n1 umount -l;"
                + " for d in /sys/fs/cgroup/*/" + PARENT + "; do [ -d \"$d\" ] && find \"$d\" -depth -type d -exec rmdir {} \\; ; done;"
                + " rm -rf " + dir + "; true");
        assertThat(left).as("containers left behind by the tests").isEmpty();
    }

    private static String sh(String script) throws IOException, InterruptedException {
        java.lang.Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        String out = Ssh.read(p.getInputStream());
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    private static String newId() {
        return "life-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet();
    }

    private static String token() {
        return UUID.randomUUID().toString();
    }

    private static Console agent(String id, UnaryOperator<ConsoleConfig> settings) {
        return Console.start(garden, settings.apply(ConsoleConfig.defaults(id, natsServer.url(), dir.resolve("state-" + id))
                .withSsh("127.0.0.1", 0).withSessionGrace(Duration.ofMinutes(5)).withAdvertiseInterval(Duration.ofMillis(500))
                .withBudget(OptionalLong.of(4096), OptionalLong.of(10000))));
    }

    private static TaskReply request(String subject, byte[] payload) throws InterruptedException {
        Message m = nats.request(subject, payload, Duration.ofSeconds(60));
        assertThat(m).as("a reply on " + subject).isNotNull();
        return TaskCodec.decodeReply(m.getData());
    }

    private static TaskReply start(Console agent, TaskStart s) throws InterruptedException {
        return request(Subjects.startOn(agent.agentId()), TaskCodec.encode(s));
    }

    private static TaskStart task(String id, String token) {
        return new TaskStart(id, token, OptionalLong.empty(), OptionalLong.empty());
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

    /** An interactive ssh (-tt) fed {@code input}, its stdin then closed; returns what it printed. */
    private static String typed(int port, String task, String token, String input) throws Exception {
        java.lang.Process p = Ssh.start(port, task, token, List.of("-tt"));
        var out = java.util.concurrent.CompletableFuture.supplyAsync(() -> Ssh.read(p.getInputStream()));
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().flush();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("ssh ended").isTrue();
        p.getOutputStream().close();
        return out.get(30, TimeUnit.SECONDS);
    }

    @Test
    void recordedTasksWriteOneAsciicastPerSessionInputOnlyWhenAsked() throws Exception {
        try (Console agent = agent("rec", c -> c)) {
            Path recordings = dir.resolve("state-rec").resolve("recordings");
            String task = newId();
            String token = token();
            assertThat(start(agent, task(task, token).withRecording(true)).ok()).isTrue();
            assertThat(typed(agent.sshPort(), task, token, "echo rec-$((6*7))\nexit\n")).contains("rec-42");
            assertThat(Ssh.run(agent.sshPort(), task, token, "", "echo plain")).isEqualTo(new Ssh.Result(0, "plain\n", ""));
            List<Recordings.RecordingFile> files = Recordings.list(recordings, Optional.of(task));
            assertThat(files).hasSize(2);
            String shell = Files.readString(files.get(0).path());
            List<String> lines = shell.lines().toList();
            assertThat(lines.get(0)).startsWith("{\"version\":2,\"width\":").contains("\"timestamp\":").contains("\"env\":{");
            assertThat(lines).anyMatch(l -> l.contains("\"o\"") && l.contains("rec-42"));
            assertThat(lines).anyMatch(l -> l.contains("\"i\""));
            assertThat(String.join("", lines.stream().filter(l -> l.contains("\"i\"")).toList())).contains("6").contains("exit");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(files.get(0).path()))).isEqualTo("rw-------");
            String exec = Files.readString(files.get(1).path());
            assertThat(exec).contains("\"CLOCHE_COMMAND\":\"echo plain\"").contains("[").contains("\"o\",\"plain\\n\"]");
            ByteArrayOutputStream played = new ByteArrayOutputStream();
            try (var in = Files.newBufferedReader(files.get(0).path())) {
                AsciicastPlayer.play(in, played, new AsciicastPlayer.Pace(1, Duration.ZERO), d -> {});
            }
            assertThat(played.toString(StandardCharsets.UTF_8)).contains("rec-42");

            // recorded without input: output only
            String quiet = newId();
            assertThat(start(agent, task(quiet, token).withRecording(false)).ok()).isTrue();
            assertThat(Ssh.run(agent.sshPort(), quiet, token, "typed-secret\n", "cat").stdout()).isEqualTo("typed-secret\n");
            String cast = Files.readString(Recordings.list(recordings, Optional.of(quiet)).getFirst().path());
            assertThat(cast).contains("\"o\",\"typed-secret\\n\"]").doesNotContain("\"i\"");
            // and an unrecorded task writes nothing
            String none = newId();
            assertThat(start(agent, task(none, token)).ok()).isTrue();
            Ssh.run(agent.sshPort(), none, token, "", "echo x");
            assertThat(Recordings.list(recordings, Optional.of(none))).isEmpty();
            for (String t : List.of(task, quiet, none)) {
                assertThat(stop(t).ok()).isTrue();
            }
        }
    }

    @Test
    void aRestartedAgentResumesItsTasksTheirContainersAndTokensAndTheIdleCountGoesOn() throws Exception {
        UnaryOperator<ConsoleConfig> settings = c -> c.withIdle(Duration.ofSeconds(15));
        Console first = agent("rs", settings);
        String kept = newId();
        String vanished = newId();
        String quiet = newId();
        String token = token();
        Instant quietStarted = Instant.now();
        assertThat(start(first, task(quiet, token)).ok()).isTrue();
        assertThat(start(first, task(kept, token)).ok()).isTrue();
        assertThat(start(first, task(vanished, token)).ok()).isTrue();
        assertThat(Ssh.run(first.sshPort(), kept, token, "", "echo before > /tmp/mark; cat /tmp/mark").stdout()).isEqualTo("before\n");
        java.lang.Process live = Ssh.start(first.sshPort(), kept, token, List.of(), "echo up; sleep 600");
        assertThat(new String(live.getInputStream().readNBytes(3), StandardCharsets.UTF_8)).isEqualTo("up\n");
        Thread.sleep(Math.max(0, Duration.ofSeconds(6).minus(Duration.between(quietStarted, Instant.now())).toMillis()));

        first.close();
        // a deliberate stop disconnects the sessions but leaves every task's container
        assertThat(live.waitFor(30, TimeUnit.SECONDS)).as("ssh disconnected by the stop").isTrue();
        assertThat(Ssh.read(live.getErrorStream())).contains("the task goes on");
        assertThat(List.of(kept, vanished, quiet)).allMatch(ConsoleLifetimeIT::exists);
        assertThat(Files.readString(dir.resolve("state-rs/tasks/" + kept + ".json"))).doesNotContain(token);
        garden.destroy(vanished);

        Instant restarted = Instant.now();
        try (Console second = agent("rs", settings)) {
            assertThat(second.tasks()).containsExactlyInAnyOrder(kept, quiet);
            // the same container, reached with the same token
            assertThat(Ssh.run(second.sshPort(), kept, token, "", "cat /tmp/mark")).isEqualTo(new Ssh.Result(0, "before\n", ""));
            assertThat(Ssh.run(second.sshPort(), kept, "wrong-" + token, "", "true").exit()).isEqualTo(255);
            // quiet never had a session: its 15 s count from its start, not from the restart (about 9 s after it)
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> !exists(quiet));
            assertThat(Duration.between(restarted, Instant.now())).isLessThan(Duration.ofSeconds(14));
            assertThat(Duration.between(quietStarted, Instant.now())).isGreaterThanOrEqualTo(Duration.ofSeconds(15));
            await().atMost(Duration.ofSeconds(10)).until(() -> !second.tasks().contains(quiet));
            assertThat(stop(kept).ok()).isTrue();
            assertThat(exists(kept)).isFalse();
            assertThat(Files.list(dir.resolve("state-rs/tasks")).toList()).isEmpty();
        }
    }

    /** An interactive ssh -tt whose output is collected as it comes. */
    private static final class Terminal {
        final java.lang.Process ssh;
        private final StringBuffer seen = new StringBuffer();

        Terminal(int port, String task, String token) throws IOException {
            ssh = Ssh.start(port, task, token, List.of("-tt"));
            Thread.ofVirtual().start(() -> {
                byte[] buf = new byte[4096];
                try (var in = ssh.getInputStream()) {
                    int n;
                    while ((n = in.read(buf)) >= 0) {
                        seen.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                } catch (IOException ignored) {
                    // ssh ended
                }
            });
        }

        void send(String keys) throws IOException {
            ssh.getOutputStream().write(keys.getBytes(StandardCharsets.UTF_8));
            ssh.getOutputStream().flush();
        }

        String waitFor(String text) {
            await().atMost(Duration.ofSeconds(60)).until(() -> seen.toString().contains(text));
            return seen.toString();
        }

        String seen() {
            return seen.toString();
        }
    }

    @Test
    void aDroppedShellRunsOnAndAReconnectGetsItsOutputSinceTheDrop() throws Exception {
        // no session grace: without the reconnect grace the task would end with its connection
        try (Console agent = agent("rc", c -> c.withSessionGrace(Duration.ZERO).withReconnectGrace(Duration.ofSeconds(12)))) {
            String task = newId();
            String token = token();
            assertThat(start(agent, task(task, token)).ok()).isTrue();
            Terminal first = new Terminal(agent.sshPort(), task, token);
            first.send("X=kept; echo one-$((1+1))\n");
            first.waitFor("one-2");
            first.send("(sleep 4; echo after-$((3+4))) & echo bg-$((5+5))\n");
            first.waitFor("bg-10");
            first.ssh.destroyForcibly(); // SIGKILL: the connection drops without a goodbye
            first.ssh.waitFor();
            Thread.sleep(6000); // the shell prints after-7 with nobody connected
            assertThat(exists(task)).as("the task waits for the reconnect").isTrue();
            assertThat(first.seen()).doesNotContain("after-7");

            Terminal second = new Terminal(agent.sshPort(), task, token);
            second.send("echo got-$X-$$\n");
            String seen = second.waitFor("got-kept-");
            // the output since the drop, and not again what the first session already had
            assertThat(seen).contains("after-7").doesNotContain("one-2");
            second.send("exit\n");
            assertThat(second.ssh.waitFor(30, TimeUnit.SECONDS)).isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> !exists(task));

            // dropped and never back: after the grace the shell is killed and (no session grace) the task ends
            String lost = newId();
            assertThat(start(agent, task(lost, token)).ok()).isTrue();
            Terminal gone = new Terminal(agent.sshPort(), lost, token);
            gone.send("echo here\n");
            gone.waitFor("here");
            Instant dropped = Instant.now();
            gone.ssh.destroyForcibly();
            await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> !exists(lost));
            assertThat(Duration.between(dropped, Instant.now())).isGreaterThanOrEqualTo(Duration.ofSeconds(11));
        }
    }

    @Test
    void liveTasksAndSessionsOutliveANatsRestartAndStopStillWorks() throws Exception {
        try (Console agent = agent("nr", c -> c)) {
            String task = newId();
            String token = token();
            assertThat(start(agent, task(task, token)).ok()).isTrue();
            Terminal t = new Terminal(agent.sshPort(), task, token);
            t.send("echo a-$((1+1))\n");
            t.waitFor("a-2");

            natsServer.restart();

            // the SSH session never depended on NATS
            t.send("echo b-$((2*2))\n");
            t.waitFor("b-4");
            assertThat(Ssh.run(agent.sshPort(), task, token, "", "echo new-session").stdout()).isEqualTo("new-session\n");
            // the agent reconnects and serves task.start and task.stop again (retrying while it reconnects)
            String second = newId();
            TaskReply started = retry(Subjects.startOn("nr"), TaskCodec.encode(task(second, token)));
            assertThat(started.ok()).as(started.toString()).isTrue();
            TaskReply stopped = retry(Subjects.STOP, TaskCodec.encode(new TaskStop(task)));
            assertThat(stopped.ok()).isTrue();
            assertThat(stopped.agent()).isEqualTo("nr");
            assertThat(t.ssh.waitFor(30, TimeUnit.SECONDS)).as("the stopped task's session is disconnected").isTrue();
            assertThat(exists(task)).isFalse();
            assertThat(stop(second).ok()).isTrue();
        }
    }

    /** A request answered once both ends are connected again: short tries until one gets a reply. */
    private static TaskReply retry(String subject, byte[] payload) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            try {
                Message m = nats.request(subject, payload, Duration.ofSeconds(3));
                if (m != null) {
                    return TaskCodec.decodeReply(m.getData());
                }
            } catch (IllegalStateException notConnected) {
                // the test's own connection is reconnecting too
            }
            Thread.sleep(200);
        }
        throw new AssertionError("no reply on " + subject + " within 60 s of the NATS restart");
    }
}
