package dev.cloche.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.Event;
import dev.cloche.api.EventFilter;
import dev.cloche.api.EventReplay;
import dev.cloche.api.EventSubscription;
import dev.cloche.api.EventType;
import dev.cloche.api.GardenClient;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.cli.Cloche;
import dev.cloche.client.RemoteGardenClient;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Events for real: the daemon as {@code make run} starts it (Linux backend, runc, cgroups), followed over
 * {@code GET /events} with RemoteGardenClient and with {@code cloche events}: a create, a process the kernel's OOM
 * killer ends, its exit and the destroy arrive in that order.
 */
class EventsIT {
    private static final String CGROUP_PARENT = "cloche-events-it";
    private static final Duration WAIT = Duration.ofSeconds(60);
    private static DaemonProcess daemon;

    @BeforeAll
    static void startDaemon() throws IOException {
        daemon = DaemonProcess.start(CGROUP_PARENT);
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon == null) {
            return;
        }
        try (GardenClient c = daemon.unixClient()) {
            for (Container left : c.containers(Map.of())) {
                try {
                    left.destroy();
                } catch (ContainerNotFoundException gone) {
                    // gone since the listing
                }
            }
        } finally {
            daemon.close();
        }
        for (Path ctrl : Files.list(Path.of("/sys/fs/cgroup")).toList()) {
            assertThat(ctrl.resolve(CGROUP_PARENT)).as("cgroup %s", ctrl).doesNotExist();
        }
        daemon.removeFiles();
    }

    @Test
    void createRunOomExitDestroyArriveInOrder() {
        String handle = "events-oom";
        try (RemoteGardenClient client = RemoteGardenClient.tcp("127.0.0.1", daemon.port);
             EventSubscription events = client.subscribe(EventFilter.handle(handle), EventReplay.NONE)) {
            Container c = client.create(ContainerSpec.withHandle(handle).withProperties(Map.of("suite", "events"))
                    .withLimits(Limits.NONE.withMemory(new MemoryLimits(64L << 20))));
            // the pause lets runc finish its start first; then dd fills a tmpfs charged to the 64 MiB cgroup
            int status = c.run(ProcessSpec.of("sh", "-c", "sleep 0.3; exec dd if=/dev/zero of=/dev/shm/fill bs=1M count=100")
                    .withId("hog"), ProcessIO.NONE).await();
            assertThat(status).as("dd killed by the OOM killer").isEqualTo(137);
            client.destroy(handle);

            List<Event> got = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                got.add(events.next(WAIT).orElseThrow(() -> new AssertionError("events so far: " + got
                        + "\ndaemon log:\n" + daemon.logText())));
            }
            assertThat(got).extracting(Event::type).containsExactly(EventType.CONTAINER_CREATED,
                    EventType.PROCESS_STARTED, EventType.OOM, EventType.PROCESS_EXITED, EventType.CONTAINER_DESTROYED);
            assertThat(got).extracting(Event::handle).containsOnly(handle);
            assertThat(got).extracting(Event::properties).containsOnly(Map.of("suite", "events"));
            assertThat(got.get(1).processId()).contains("hog");
            assertThat(got.get(3).processId()).contains("hog");
            assertThat(got.get(3).exitStatus()).hasValue(137);
            assertThat(got.get(3).requestId()).isEqualTo(got.get(1).requestId()).matches("[0-9a-f]{16}");
            assertThat(got).extracting(Event::sequence).isSorted();
            // the request id of the create is the one the daemon's access log names
            assertThat(daemon.logText()).contains("request=" + got.get(0).requestId());

            // the CLI replays the same events from the ring
            String printed = cloche("--target", "127.0.0.1:" + daemon.port, "events", "--handle", handle,
                    "--since", "0", "-n", "5");
            List<String> lines = printed.lines().toList();
            assertThat(lines).hasSize(5);
            assertThat(lines.get(2)).contains(" oom " + handle);
            assertThat(lines.get(3)).contains(" process-exited " + handle + " process=hog exit=137 request="
                    + got.get(3).requestId());
        }
    }

    private static String cloche(String... args) {
        PrintStream out = System.out;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        try {
            assertThat(Cloche.run(args)).isZero();
        } finally {
            System.setOut(out);
        }
        return o.toString(StandardCharsets.UTF_8);
    }
}
