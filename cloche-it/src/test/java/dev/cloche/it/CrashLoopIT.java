package dev.cloche.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Issue 22's crashing daemon (docs/reliability.md): the real {@code bin/clocheD} is SIGKILLed at a random moment
 * inside a create or a destroy, and restarted, {@code cloche.crashes} times (default 8; {@code make soak}'s caller
 * asks 200). After each restart: every listed container is whole (info answers, a process runs in it), a destroy of
 * anything listed works, and at the end nothing is left on the host.
 */
class CrashLoopIT {
    private static final String CGROUP_PARENT = "cloche-crash";
    private static final int CRASHES = Integer.getInteger("cloche.crashes", 8);
    private static final long SEED = Long.getLong("cloche.crashes.seed", 22L);

    private static String echo(Container c, String word) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = c.run(ProcessSpec.of("echo", word), ProcessIO.output(out, new ByteArrayOutputStream())).await();
        assertThat(code).as("exit of echo in " + c.handle()).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aDaemonKilledInsideCreateOrDestroyRestartsWithEveryListedContainerWholeAndLeavesNothing() throws Exception {
        Random random = new Random(SEED);
        DaemonProcess daemon = DaemonProcess.start(CGROUP_PARENT);
        List<String> problems = new ArrayList<>();
        try {
            for (int i = 0; i < CRASHES; i++) {
                boolean inDestroy = random.nextBoolean();
                String handle = "crash-" + i;
                try (GardenClient client = daemon.tcpClient()) {
                    if (inDestroy) client.create(ContainerSpec.withHandle(handle));
                    Thread call = Thread.ofVirtual().start(() -> {
                        try {
                            if (inDestroy) client.destroy(handle);
                            else client.create(ContainerSpec.withHandle(handle));
                        } catch (RuntimeException e) {
                            // the daemon died under the call: what it left is judged after the restart
                        }
                    });
                    // create and destroy take 0.2 to 1 s here: kill somewhere inside (or just after) one
                    Thread.sleep(random.nextInt(inDestroy ? 300 : 900));
                    daemon = daemon.killAndRestart(CGROUP_PARENT);
                    call.join(30_000);
                }
                try (GardenClient client = daemon.tcpClient()) {
                    for (Container c : client.containers(Map.of())) {
                        String what = "after crash " + i + " (in " + (inDestroy ? "destroy" : "create") + "), " + c.handle();
                        try {
                            assertThat(client.bulkInfo(List.of(c.handle())).get(c.handle()).error())
                                    .as(what + ": info").isEmpty();
                            assertThat(echo(c, "whole")).as(what).isEqualTo("whole\n");
                        } catch (AssertionError | RuntimeException e) {
                            problems.add(what + ": " + e.getMessage());
                        }
                        try {
                            client.destroy(c.handle());
                        } catch (ContainerNotFoundException gone) {
                            // fine
                        } catch (RuntimeException e) {
                            problems.add(what + ": destroy failed: " + e.getMessage());
                        }
                    }
                }
            }
        } finally {
            try (GardenClient client = daemon.tcpClient()) {
                for (Container left : client.containers(Map.of())) {
                    try {
                        left.destroy();
                    } catch (RuntimeException e) {
                        problems.add("final destroy of " + left.handle() + ": " + e.getMessage());
                    }
                }
            } finally {
                daemon.close();
            }
        }
        assertThat(problems).as("what the crashes left visible or broken").isEmpty();
        String mounts = Files.readString(Path.of("/proc/self/mounts"));
        assertThat(mounts).as("mounts under the depot").doesNotContain(daemon.depot + "/containers");
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path ctrl : controllers.toList()) {
                Path parent = ctrl.resolve(CGROUP_PARENT);
                if (Files.isDirectory(parent)) {
                    try (Stream<Path> kids = Files.list(parent)) {
                        assertThat(kids.filter(Files::isDirectory).toList()).as("container cgroups in " + parent).isEmpty();
                    }
                }
            }
        }
        assertThat(entries(daemon.depot.resolve("containers"))).as("depot entries").isEmpty();
        assertThat(entries(daemon.dir.resolve("runtime"))).as("runtime state").isEmpty();
        String links = new String(new ProcessBuilder("ip", "-o", "link").start().getInputStream().readAllBytes(),
                StandardCharsets.UTF_8);
        assertThat(links).as("container interfaces").doesNotContain("clee0a");
        daemon.removeFiles();
    }

    private static List<Path> entries(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return List.of();
        try (Stream<Path> s = Files.list(dir)) {
            return s.toList();
        }
    }
}
