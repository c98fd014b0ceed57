package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.linux.fs.ContainerFiles;
import dev.cloche.linux.fs.DiskQuota;
import dev.cloche.linux.fs.VolumeLayout;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.oci.BundleInput;
import dev.cloche.linux.oci.BundleJson;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.linux.sys.FakeProcessTable;
import dev.cloche.tar.Tars;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stream in and out through the container's commands, with the runtime played by a local shell. */
class TarStreamsTest {
    private static final ContainerIdentity C1 = new ContainerIdentity("web", "c1", "/cloche/c1", false);
    /** A root that stayed on the host (no init recorded here): where the test wrote /etc/passwd. */
    private static final Volumizer HOST_ROOT = new Volumizer() {
        @Override public Path create(List<Path> lowerDirs, VolumeLayout layout, DiskQuota quota) { throw new UnsupportedOperationException(); }
        @Override public void detach(VolumeLayout layout) {}
        @Override public Path attach(VolumeLayout layout) { return layout.merged(); }
        @Override public Usage usage(VolumeLayout layout) { return new Usage(0, 0); }
        @Override public void destroy(VolumeLayout layout) {}
    };
    @TempDir Path tmp;
    private final RecordingRuntime runtime = new RecordingRuntime();
    private Depot.Entry entry;
    private ContainerStatus status;
    private TarStreams streams;

    @BeforeEach
    void container() throws IOException {
        entry = new Depot(tmp.resolve("depot"), tmp.resolve("processes")).entry("c1");
        Files.createDirectories(entry.volume().merged().resolve("etc"));
        Files.writeString(entry.volume().merged().resolve("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n");
        Files.writeString(entry.config(), BundleJson.config(BundleRules.build(new BundleInput("c1",
                ContainerSpec.withHandle("web"), entry.volume().merged(), Path.of("/init"), Path.of("/busybox"), "cloche", -1L))));
        status = new ContainerStatus("web");
        OciProcessBuilder processes = new OciProcessBuilder(List.of(), List.of("CAP_CHOWN"));
        ContainerCommands commands = new ContainerCommands(C1, entry, status, processes, runtime, new FakeProcessTable());
        streams = new TarStreams(C1, entry, status, commands, new ContainerRoot(entry, status, new FakeProcessTable(), HOST_ROOT));
    }

    private static InputStream tar(String name, String content) {
        return new ByteArrayInputStream(Tars.archive().file(name, content).end());
    }

    @Test
    void aRunningContainerStreamsInThroughExecAndLeavesNoFilesBehind() throws IOException {
        streams.streamIn(new StreamInSpec("/srv", "", tar("a.txt", "hello")));
        assertThat(runtime.calls()).containsExactly("exec c1 process.json");
        assertThat(entry.tar(1).dir()).doesNotExist();
    }

    @Test
    void aStoppedContainerStreamsThroughAOneShotContainerOnItsOwnBundle() throws IOException {
        status.markStopped();
        runtime.script = "cat >/dev/null; ls " + entry.tar(1).dir() + " >&2; exit 3";
        assertThatThrownBy(() -> streams.streamIn(new StreamInSpec("/srv", "", tar("a.txt", "hello"))))
                .isInstanceOf(GardenError.class).hasMessage("error streaming in: config.json");
        assertThat(runtime.calls()).containsExactly("run c1-t1 --no-new-keyring");
        assertThat(entry.tar(1).dir()).doesNotExist();
    }

    @Test
    void aHostileArchiveIsRefusedAndItsTarKilled() {
        byte[] garbage = new byte[1024];
        java.util.Arrays.fill(garbage, (byte) 'x');
        assertThatThrownBy(() -> streams.streamIn(new StreamInSpec("/srv", "", new ByteArrayInputStream(garbage))))
                .isInstanceOf(InvalidRequestException.class).hasMessageStartingWith("error streaming in: ");
        assertThat(entry.tar(1).dir()).doesNotExist();
    }

    @Test
    void streamOutFailsTheCallWhenTarFailsAtOnceAndAnUnknownUserWithGardensPrefix() {
        runtime.script = "echo 'tar: /nope: No such file or directory' >&2; exit 1";
        assertThatThrownBy(() -> streams.streamOut(new StreamOutSpec("/nope", "")))
                .isInstanceOf(InvalidRequestException.class).hasMessageStartingWith("error streaming out: /nope does not exist in container ");
        // any other failure is internal, and tar's own words stay in the log
        runtime.script = "echo 'tar: something odd' >&2; exit 2";
        assertThatThrownBy(() -> streams.streamOut(new StreamOutSpec("/srv", "")))
                .isInstanceOf(GardenError.class).hasMessage("error streaming out of /srv: tar exited with status 2 (the daemon's log has its message)");
        assertThatThrownBy(() -> streams.streamOut(new StreamOutSpec("/srv", "nobody-here")))
                .hasMessageStartingWith("error streaming out: ");
    }

    @Test
    void aDestroyedContainerHasNothingToStream() {
        status.markDestroyed();
        assertThatThrownBy(() -> streams.streamOut(new StreamOutSpec("/srv", "")))
                .isInstanceOf(dev.cloche.api.ContainerNotFoundException.class);
        assertThat(runtime.calls()).isEmpty();
        assertThat(new ContainerFiles(entry.volume().merged()).user("").uid()).isZero();
    }
}
