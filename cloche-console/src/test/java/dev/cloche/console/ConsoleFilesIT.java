package dev.cloche.console;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenClient;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.linux.LinuxBackendProvider;
import dev.cloche.spi.ContainerBackend;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Files and forwarding for real: OpenSSH's sftp, scp and ssh -L/-R (with sshpass) against the console over real
 * containers (in-process core over the Linux backend, runc, as root) and a private nats-server.
 */
class ConsoleFilesIT {
    private static final String PARENT = "cloche-console-files-it";
    private static final AtomicInteger SEQ = new AtomicInteger();
    private static Path dir;
    private static NatsServer natsServer;
    private static ContainerBackend backend;
    private static GardenClient garden;
    private static Console agent;
    private static Connection nats;

    @BeforeAll
    static void setUp() throws Exception {
        dir = Files.createTempDirectory("cloche-console-files-it", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        natsServer = NatsServer.start();
        backend = new LinuxBackendProvider().create(Map.of("depot", dir.resolve("depot").toString(),
                "runtimeRoot", dir.resolve("runtime").toString(), "cgroupParent", PARENT,
                "defaultRootfs", System.getProperty("cloche.rootfs", "/var/lib/cloche/rootfs"),
                "initBinary", System.getProperty("cloche.init", "/var/lib/cloche/bin/cloche-init")));
        garden = ContainerManager.start(backend, CoreConfig.DEFAULTS);
        agent = Console.start(garden, ConsoleConfig.defaults("files", natsServer.url(), dir.resolve("state"))
                .withSsh("127.0.0.1", 0).withSessionGrace(Duration.ofMinutes(5)).withAdvertiseInterval(Duration.ofMillis(500))
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
        assertThat(left).as("containers left behind by the console").isEmpty();
    }

    private record Run(int exit, String stdout, String stderr) {}

    private static Run exec(List<String> argv, String input) throws Exception {
        Process p = new ProcessBuilder(argv).start();
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> Ssh.read(p.getInputStream()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> Ssh.read(p.getErrorStream()));
        p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("did not finish: " + argv);
        }
        return new Run(p.exitValue(), out.get(30, TimeUnit.SECONDS), err.get(30, TimeUnit.SECONDS));
    }

    private static String sh(String script) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("sh", "-c", script).redirectErrorStream(true).start();
        String out = Ssh.read(p.getInputStream());
        p.waitFor(60, TimeUnit.SECONDS);
        return out;
    }

    private static List<String> options() {
        return List.of("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no", "-o", "ConnectTimeout=20",
                "-o", "NumberOfPasswordPrompts=1");
    }

    /** sftp in batch mode: the commands come from stdin, the first failing one ends it with exit 1. */
    private static Run sftp(String task, String token, String commands) throws Exception {
        List<String> argv = new ArrayList<>(List.of("sshpass", "-p", token, "sftp", "-P", Integer.toString(agent.sshPort())));
        argv.addAll(options());
        // -b sets BatchMode=yes (no password prompt) for ssh; the first value given wins, so sshpass can still answer
        argv.addAll(List.of("-o", "BatchMode=no", "-b", "-", task + "@127.0.0.1"));
        return exec(argv, commands);
    }

    private static Run scp(String token, String... args) throws Exception {
        List<String> argv = new ArrayList<>(List.of("sshpass", "-p", token, "scp", "-P", Integer.toString(agent.sshPort())));
        argv.addAll(options());
        argv.addAll(List.of(args));
        return exec(argv, "");
    }

    private static String in(String task, String token, String command) {
        Ssh.Result r = Ssh.run(agent.sshPort(), task, token, "", command);
        assertThat(r.exit()).as(command + ": " + r).isZero();
        return r.stdout();
    }

    private static String start(TaskStart s) throws InterruptedException {
        Message m = nats.request(Subjects.startOn(agent.agentId()), TaskCodec.encode(s), Duration.ofSeconds(60));
        assertThat(m).isNotNull();
        TaskReply r = TaskCodec.decodeReply(m.getData());
        assertThat(r.ok()).as(r.toString()).isTrue();
        return s.task();
    }

    private static void stop(String task) throws InterruptedException {
        nats.request(Subjects.STOP, TaskCodec.encode(new TaskStop(task)), Duration.ofSeconds(60));
    }

    private static TaskStart task(String token) {
        return new TaskStart("files-" + ProcessHandle.current().pid() + "-" + SEQ.incrementAndGet(), token,
                OptionalLong.empty(), OptionalLong.empty());
    }

    @Test
    void sftpPutsGetsListsMakesRenamesAndRemovesTheContainersFiles() throws Exception {
        String token = UUID.randomUUID().toString();
        String task = start(task(token));
        try {
            Path local = dir.resolve("up-" + task);
            byte[] data = new byte[300_000]; // several SFTP packets
            new Random(7).nextBytes(data);
            Files.write(local, data);
            Path back = dir.resolve("back-" + task);
            Run r = sftp(task, token, String.join("\n",
                    "mkdir /tmp/d", "put " + local + " /tmp/d/f.bin", "rename /tmp/d/f.bin /tmp/d/g.bin",
                    "ls -l /tmp/d", "get /tmp/d/g.bin " + back, "mkdir /tmp/empty", "rmdir /tmp/empty", "") + "\n");
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.stdout()).contains(" 300000 ").contains(" g.bin\n").doesNotContain(" f.bin\n");
            assertThat(Files.readAllBytes(back)).isEqualTo(data);
            // the container itself sees the upload, under the new name
            assertThat(in(task, token, "md5sum < /tmp/d/g.bin; ls /tmp/d; ls -d /tmp/empty 2>&1 || true"))
                    .startsWith(md5(local)).contains("g.bin").doesNotContain("f.bin").contains("No such file");
            Run rm = sftp(task, token, "rm /tmp/d/g.bin\nrmdir /tmp/d\n");
            assertThat(rm.exit()).as(rm.toString()).isZero();
            assertThat(in(task, token, "ls /tmp")).doesNotContain("d\n");
            // a missing file and a non-empty directory are errors the client reports
            Run missing = sftp(task, token, "get /tmp/no-such-file " + dir.resolve("x") + "\n");
            assertThat(missing.exit()).isNotZero();
            assertThat(missing.stderr()).contains("not found");
            in(task, token, "mkdir /tmp/full && touch /tmp/full/x");
            Run full = sftp(task, token, "rmdir /tmp/full\n");
            assertThat(full.exit()).isNotZero();
            assertThat(in(task, token, "ls /tmp/full")).isEqualTo("x\n");
        } finally {
            stop(task);
        }
    }

    private static String md5(Path p) throws Exception {
        return sh("md5sum < " + p).strip().split(" ")[0];
    }

    @Test
    void sftpSeesTheContainersFilesNotTheHostsAndRefusesClimbingOut() throws Exception {
        String token = UUID.randomUUID().toString();
        String task = start(task(token));
        Path hostOnly = Path.of("/tmp/cloche-host-only-" + task);
        try {
            Files.writeString(hostOnly, "host secret\n");
            in(task, token, "echo only in the container > /root/inside.txt");
            Path got = dir.resolve("inside-" + task);
            Run r = sftp(task, token, "get /root/inside.txt " + got + "\nls /\n");
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(Files.readString(got)).isEqualTo("only in the container\n");
            assertThat(Path.of("/root/inside.txt")).doesNotExist();
            // the host's file is not there, by its own path or by climbing out with ".."
            Run host = sftp(task, token, "get " + hostOnly + " " + dir.resolve("h1") + "\n");
            assertThat(host.exit()).isNotZero();
            Run climb = sftp(task, token, "get /../../.." + hostOnly + " " + dir.resolve("h2") + "\n");
            assertThat(climb.exit()).isNotZero();
            // refused, not normalized to "/": the container's own file is not reached through ".." either
            Run climbInside = sftp(task, token, "get /../root/inside.txt " + dir.resolve("h3") + "\n");
            assertThat(climbInside.exit()).isNotZero();
            Run climbPut = sftp(task, token, "put " + got + " /tmp/../../x\n");
            assertThat(climbPut.exit()).isNotZero();
            assertThat(climbPut.stderr()).contains("ermission denied");
            Run climbMkdir = sftp(task, token, "mkdir /../y\n");
            assertThat(climbMkdir.exit()).isNotZero();
            assertThat(climbMkdir.stderr()).contains("ermission denied");
            assertThat(in(task, token, "ls /")).doesNotContain("x\n").doesNotContain("y\n");
            assertThat(dir.resolve("h3")).doesNotExist();
            assertThat(dir.resolve("h1")).doesNotExist();
            assertThat(dir.resolve("h2")).doesNotExist();
            // ".." that stays inside is fine
            Run inside = sftp(task, token, "get /root/../root/inside.txt " + dir.resolve("in2") + "\n");
            assertThat(inside.exit()).as(inside.toString()).isZero();
        } finally {
            Files.deleteIfExists(hostOnly);
            stop(task);
        }
    }

    @Test
    void scpCopiesBothWaysAndTheLegacyProtocolIsRefused() throws Exception {
        String token = UUID.randomUUID().toString();
        String task = start(task(token));
        try {
            Path local = dir.resolve("scp-" + task);
            Files.writeString(local, "over scp\n");
            Run up = scp(token, local.toString(), task + "@127.0.0.1:/tmp/scp.txt");
            assertThat(up.exit()).as(up.toString()).isZero();
            assertThat(in(task, token, "cat /tmp/scp.txt")).isEqualTo("over scp\n");
            in(task, token, "echo from the container > /tmp/down.txt");
            Path down = dir.resolve("down-" + task);
            Run get = scp(token, task + "@127.0.0.1:/tmp/down.txt", down.toString());
            assertThat(get.exit()).as(get.toString()).isZero();
            assertThat(Files.readString(down)).isEqualTo("from the container\n");
            Run legacy = scp(token, "-O", local.toString(), task + "@127.0.0.1:/tmp/legacy.txt");
            assertThat(legacy.exit()).isNotZero();
            assertThat(legacy.stderr()).contains("legacy scp protocol (scp -O) is not served");
            assertThat(in(task, token, "ls /tmp")).doesNotContain("legacy.txt");
        } finally {
            stop(task);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String serveHttpd(String task, String token) {
        in(task, token, "mkdir -p /www && echo hello from the container > /www/index.html && httpd -p 8080 -h /www");
        return garden.lookup(task).info().containerIp();
    }

    /** {@code ssh -N} with forwarding options, and what it has printed so far (read as it comes). */
    private record Forward(Process process, StringBuffer output) {
        /** Ends ssh (under sshpass) and returns everything it printed. */
        String end() throws Exception {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            Thread.sleep(200); // the reader drains what was written before the kill
            return output.toString();
        }
    }

    private static Forward forward(String task, String token, String... forwarding) throws IOException {
        List<String> extra = new ArrayList<>(List.of("-N", "-o", "ExitOnForwardFailure=yes"));
        extra.addAll(List.of(forwarding));
        // OpenSSH logs a refused channel at INFO; the first LogLevel given wins over Ssh.argv's ERROR
        List<String> argv = new ArrayList<>(List.of("sshpass", "-p", token, "ssh", "-o", "LogLevel=INFO"));
        List<String> ssh = Ssh.argv(agent.sshPort(), task, token, extra.toArray(String[]::new));
        argv.addAll(ssh.subList(4, ssh.size())); // after "sshpass -p TOKEN ssh"
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
        StringBuffer out = new StringBuffer();
        Thread.ofVirtual().start(() -> {
            byte[] b = new byte[4096];
            try (var in = p.getInputStream()) {
                for (int n; (n = in.read(b)) >= 0; ) {
                    out.append(new String(b, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // killed: what was read is kept
            }
        });
        return new Forward(p, out);
    }

    private static HttpResponse<String> get(int port) throws Exception {
        try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/index.html"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Test
    void localForwardingReachesTheContainerOnlyWhenTheTaskAllowsIt() throws Exception {
        String token = UUID.randomUUID().toString();
        String task = start(task(token).withForwarding());
        String ip = serveHttpd(task, token);
        int port = freePort();
        Forward ssh = forward(task, token, "-L", "127.0.0.1:" + port + ":" + ip + ":8080");
        try {
            await().atMost(Duration.ofSeconds(30)).ignoreExceptions()
                    .until(() -> get(port).body().equals("hello from the container\n"));
            // any other destination is refused, even with forwarding allowed: the host's own loopback here
            int other = freePort();
            Forward elsewhere = forward(task, token, "-L", "127.0.0.1:" + other + ":127.0.0.1:" + agent.sshPort());
            String said;
            try {
                Thread.sleep(1000);
                assertThat(connectsAndAnswers(other)).isFalse();
            } finally {
                said = elsewhere.end();
            }
            assertThat(said).contains("administratively prohibited");
        } finally {
            ssh.end();
            stop(task);
        }
    }

    /** Whether a connection to the forwarded local port gets any bytes back (an SSH banner, an HTTP answer). */
    private static boolean connectsAndAnswers(int port) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(3000);
            s.getOutputStream().write("GET / HTTP/1.0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return s.getInputStream().read() >= 0;
        } catch (IOException e) {
            return false;
        }
    }

    @Test
    void forwardingIsOffByDefaultAndRemoteForwardingIsRefused() throws Exception {
        String token = UUID.randomUUID().toString();
        String task = start(task(token));
        String ip = serveHttpd(task, token);
        int port = freePort();
        Forward ssh = forward(task, token, "-L", "127.0.0.1:" + port + ":" + ip + ":8080");
        String said;
        try {
            Thread.sleep(1000);
            assertThat(connectsAndAnswers(port)).isFalse();
        } finally {
            said = ssh.end();
        }
        assertThat(said).contains("administratively prohibited");
        try {
            Forward remote = forward(task, token, "-R", "0:127.0.0.1:8080");
            assertThat(remote.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(remote.process().exitValue()).isNotZero();
            assertThat(remote.end()).contains("remote port forwarding failed");
        } finally {
            stop(task);
        }
    }

    @Test
    void x11AndAgentForwardingAreRefusedAndTheSessionRunsOn() throws Exception {
        String token = UUID.randomUUID().toString();
        String task = start(task(token).withForwarding());
        try {
            List<String> argv = new ArrayList<>(List.of("sshpass", "-p", token, "ssh", "-o", "LogLevel=INFO"));
            List<String> ssh = Ssh.argv(agent.sshPort(), task, token, "-X", "-A");
            argv.addAll(ssh.subList(4, ssh.size()));
            argv.add("echo still here");
            ProcessBuilder pb = new ProcessBuilder(argv);
            pb.environment().put("DISPLAY", "127.0.0.1:99"); // ssh asks for X11 forwarding only with a display
            pb.environment().put("SSH_AUTH_SOCK", dir.resolve("no-agent.sock").toString());
            Process p = pb.redirectErrorStream(true).start();
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> Ssh.read(p.getInputStream()));
            assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
            String said = out.get(10, TimeUnit.SECONDS);
            assertThat(p.exitValue()).as(said).isZero();
            assertThat(said).contains("X11 forwarding request failed").contains("still here");
        } finally {
            stop(task);
        }
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
