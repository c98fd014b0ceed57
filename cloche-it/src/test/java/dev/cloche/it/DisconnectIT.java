package dev.cloche.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.tar.TarEntry;
import dev.cloche.tar.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.Test;

/**
 * Issue 22's client that disconnects, through the real daemon ({@code bin/clocheD}) and the Linux backend (the server's
 * own test, ClientDisconnectTest, runs over a fake backend): a stream-in whose archive is half sent, a run cut once its
 * process started, and an attach cut while it follows output, {@code cloche.disconnects} rounds (default 40). After
 * them the daemon serves, the container takes a whole stream-in, gives it back and runs a process, every process a
 * cut run started ran to its end, and the daemon's open descriptors and threads are back where they were.
 */
class DisconnectIT {
    private static final String CGROUP_PARENT = "cloche-cut";
    private static final int ROUNDS = Integer.getInteger("cloche.disconnects", 40);

    @Test
    void cutStreamInsRunsAndAttachesLeaveTheDaemonServingAndNothingBehind() throws Exception {
        DaemonProcess stopped;
        try (DaemonProcess daemon = DaemonProcess.start(CGROUP_PARENT); GardenClient client = daemon.tcpClient()) {
            Container c = client.create(ContainerSpec.withHandle("cut"));
            round(daemon, 0); // every path once: lazily made pools and caches belong to the baseline
            Thread.sleep(1000);
            long fds = count(daemon, "fd");
            long threads = count(daemon, "task");
            for (int i = 1; i <= ROUNDS; i++) round(daemon, i);

            client.ping();
            byte[] whole = archive("whole.txt", "w".repeat(256 * 1024));
            c.streamIn(new StreamInSpec("/dest", "root", new ByteArrayInputStream(whole)));
            try (InputStream back = c.streamOut(new StreamOutSpec("/dest/whole.txt", "root"))) {
                assertThat(new String(back.readAllBytes(), StandardCharsets.ISO_8859_1)).contains("w".repeat(4096));
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            assertThat(c.run(ProcessSpec.of("echo", "still"), ProcessIO.output(out, OutputStream.nullOutputStream())).await())
                    .isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("still\n");
            for (int i = 0; i <= ROUNDS; i += Math.max(1, ROUNDS / 8)) {
                assertThat(c.attach("r" + i, ProcessIO.output(OutputStream.nullOutputStream(), OutputStream.nullOutputStream()))
                        .await()).as("the process of cut run r" + i).isZero();
            }
            // a little slack for the JVM's own threads (GC, JIT); a leak per round would be dozens
            assertThat(settles(() -> count(daemon, "fd"), fds + 5)).as("the daemon's descriptors: %d before", fds).isTrue();
            assertThat(settles(() -> count(daemon, "task"), threads + 5)).as("the daemon's threads: %d before", threads).isTrue();
            c.destroy();
            assertThat(Files.readString(Path.of("/proc/self/mounts"))).doesNotContain(daemon.depot + "/containers");
            stopped = daemon;
        }
        stopped.removeFiles();
    }

    /** One of each: a half stream-in, a run cut after its start, an attach cut while it follows the process. */
    private static void round(DaemonProcess daemon, int i) throws IOException {
        byte[] tar = archive("f" + i, "y".repeat(64 * 1024));
        try (Socket s = new Socket("127.0.0.1", daemon.port)) {
            send(s, "PUT /containers/cut/files?destination=/round HTTP/1.1\r\nHost: api\r\nContent-Type: application/x-tar\r\n"
                    + "Content-Length: " + tar.length + "\r\n\r\n");
            s.getOutputStream().write(Arrays.copyOf(tar, tar.length / 2));
        }
        String spec = "{\"id\":\"r" + i + "\",\"path\":\"sh\",\"args\":[\"-c\",\"sleep 0.2; echo done\"],\"rlimits\":{},\"image\":{}}\n";
        try (Socket s = new Socket("127.0.0.1", daemon.port)) {
            send(s, "POST /containers/cut/processes HTTP/1.1\r\nHost: api\r\nContent-Length: " + spec.length() + "\r\n\r\n" + spec);
            assertThat(statusLine(s)).isEqualTo("HTTP/1.1 201 Created");
        }
        try (Socket s = new Socket("127.0.0.1", daemon.port)) {
            send(s, "GET /containers/cut/processes/r" + i + " HTTP/1.1\r\nHost: api\r\n\r\n");
            assertThat(statusLine(s)).isEqualTo("HTTP/1.1 200 OK");
        }
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    private static String statusLine(Socket s) throws IOException {
        s.setSoTimeout(30_000);
        StringBuilder line = new StringBuilder();
        InputStream in = s.getInputStream();
        for (int b; (b = in.read()) != -1 && b != '\n'; ) line.append((char) b);
        return line.toString().strip();
    }

    private static byte[] archive(String name, String content) {
        byte[] data = content.getBytes(StandardCharsets.UTF_8);
        return TarWriter.archive(TarEntry.file(name, 0644, data.length), data);
    }

    private static long count(DaemonProcess daemon, String what) {
        try (var s = Files.list(Path.of("/proc/" + daemon.pid() + "/" + what))) {
            return s.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static boolean settles(LongSupplier now, long atMost) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (now.getAsLong() > atMost) {
            if (System.nanoTime() > deadline) return false;
            Thread.sleep(250);
        }
        return true;
    }
}
