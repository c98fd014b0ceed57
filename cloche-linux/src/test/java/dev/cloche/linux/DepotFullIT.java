package dev.cloche.linux;

import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.api.StreamInSpec;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.tar.Tars;
import dev.cloche.testkit.RootBackendExtension;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 22's full depot (docs/reliability.md): the depot's containers directory is a small loop-mounted ext4, filled
 * to the last block. Create and stream-in fail as ResourceExhausted naming the depot's filesystem and leave nothing;
 * processes still run (their output is on the process tmpfs); once space returns, everything works again. The loop
 * device is unmounted and detached whatever happens.
 */
class DepotFullIT {
    private static final Path DISK_DIR = tempDir();
    private static final Path IMAGE = DISK_DIR.resolve("containers.ext4");
    /** Where the loop filesystem is mounted: the depot's containers directory, made before the backend opens. */
    private static volatile Path mountedOn;

    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-depotfull")
            .network("cldf", "10.253.96.0/24", "43400-43499").backends(DepotFullIT::onLoopDisk).build();

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("cloche-depot-full-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The linux backend, over a depot whose containers directory is a 64 MiB ext4 of its own. */
    private static dev.cloche.spi.ContainerBackend onLoopDisk(Map<String, String> settings) {
        synchronized (DepotFullIT.class) {
            if (mountedOn == null) {
                Path containers = Path.of(settings.get("depot")).resolve("containers");
                try {
                    Files.createDirectories(containers);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                TestShell.check("truncate", "-s", "64M", IMAGE.toString());
                // no blocks reserved for root: the daemon is root, and "full" must mean full for it
                TestShell.check("mkfs.ext4", "-q", "-F", "-m", "0", IMAGE.toString());
                TestShell.check("mount", "-o", "loop", IMAGE.toString(), containers.toString());
                mountedOn = containers;
            }
        }
        return new LinuxBackendProvider().create(settings);
    }

    /** Unmounting detaches the loop device (mount -o loop sets autoclear); the proof is losetup's empty listing. */
    @AfterAll
    static void unmountAndDetach() throws IOException {
        List<Throwable> failures = new ArrayList<>();
        for (BackendContainer c : ROOT.live()) {
            try {
                ROOT.destroy(c);
            } catch (RuntimeException e) {
                failures.add(e);
            }
        }
        if (mountedOn != null) {
            Files.deleteIfExists(mountedOn.resolve("filler"));
            TestShell.check("umount", mountedOn.toString());
        }
        String attached = TestShell.run("losetup", "-j", IMAGE.toString()).stdout().strip();
        Files.deleteIfExists(IMAGE);
        Files.deleteIfExists(DISK_DIR);
        assertThat(attached).as("loop devices still attached to the image").isEmpty();
        assertThat(failures).as("destroys that failed").isEmpty();
    }

    /** Writes zeros until the filesystem refuses: full to the last block. */
    private static void fill() {
        String filler = "of=" + mountedOn.resolve("filler");
        assertThat(TestShell.run("dd", "if=/dev/zero", filler, "bs=1M").exitCode()).as("dd ends when the disk is full")
                .isNotZero();
        // the last part-megabyte in small writes, again after a sync: ext4 hands back blocks it had reserved
        for (int i = 0; i < 5 && available() > 0; i++) {
            TestShell.run("dd", "if=/dev/zero", filler, "bs=1k", "oflag=append", "conv=notrunc");
            TestShell.check("sync", "-f", mountedOn.toString());
        }
        assertThat(available()).as("bytes left on the depot's disk").isZero();
    }

    private static long available() {
        return Long.parseLong(TestShell.check("df", "--output=avail", "-B1", mountedOn.toString()).stdout().lines()
                .reduce((a, b) -> b).orElseThrow().strip());
    }

    private static void makeRoom() throws IOException {
        Files.deleteIfExists(mountedOn.resolve("filler"));
    }

    /** The containers' entries on the loop disk, beside its own lost+found and the filler. */
    private static List<String> entries() throws IOException {
        try (var s = Files.list(mountedOn)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> !n.equals("lost+found") && !n.equals("filler"))
                    .sorted().toList();
        }
    }

    private static byte[] archiveOf(int bytes) {
        return Tars.archive().file("big", "x".repeat(bytes)).end();
    }

    @Test
    void aFullDepotRefusesCreateAndStreamInTypedAndEverythingWorksOnceSpaceReturns() throws IOException {
        BackendContainer before = ROOT.create("before-full");
        List<String> liveEntries = entries();
        fill();
        try {
            assertThatThrownBy(() -> ROOT.create("while-full")).isInstanceOf(ResourceExhaustedException.class)
                    .hasMessageContaining("cannot create container while-full")
                    .hasMessageContaining("no space left on the depot's filesystem (" + mountedOn + ")");
            assertThat(entries()).as("no half-made entry").isEqualTo(liveEntries);

            assertThatThrownBy(() -> before.streamIn(new StreamInSpec("/tmp", "", new ByteArrayInputStream(archiveOf(1 << 20)))))
                    .isInstanceOf(ResourceExhaustedException.class)
                    .hasMessageContaining("error streaming in to /tmp: no space left on the depot's filesystem (" + mountedOn + ")");

            // a process's output lives on the process tmpfs, not the depot: the container stays usable
            assertThat(run(before, "echo", "still runs").stdout()).isEqualTo("still runs\n");
        } finally {
            makeRoom();
        }

        before.streamIn(new StreamInSpec("/tmp", "", new ByteArrayInputStream(archiveOf(1 << 20))));
        assertThat(run(before, "wc", "-c", "/tmp/big").stdout()).startsWith("1048576");
        BackendContainer after = ROOT.create("after-full");
        assertThat(run(after, "echo", "after").stdout()).isEqualTo("after\n");
        ROOT.destroy(after);
        ROOT.destroy(before);
        assertThat(entries()).as("entries left on the depot's disk").isEmpty();
    }
}
