package dev.cloche.linux;

import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendInfo;
import dev.cloche.testkit.RootBackendExtension;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 22's injected runtime faults (docs/reliability.md): the backend's {@code runtimePath} is a wrapper that, for
 * the verb the test names in its fault file, fails, hangs before doing anything, or hangs after the real runc did its
 * work, and otherwise is runc. After each: the client's error is typed and names what failed, nothing of a failed
 * create or start is left, and every container is still usable.
 */
class RuntimeFaultsIT {
    /** Short, so a hang costs seconds; the default (60 s) is in Settings. */
    private static final Duration BOUND = Duration.ofSeconds(3);
    private static final Path DIR = tempDir();
    private static final Path FAULT = DIR.resolve("fault");
    /** Each fault the wrapper injected, one line each: a test proves its fault was met. */
    private static final Path INJECTED = DIR.resolve("injected");
    private static final Path WRAPPER = wrapper();

    @RegisterExtension
    static final RootBackendExtension ROOT = RootBackendExtension.builder().cgroupParent("cloche-it-rtfaults")
            .network("clrf", "10.253.92.0/24", "43300-43399")
            .setting("runtimePath", WRAPPER.toString())
            .setting("runtimeTimeout", BOUND.toSeconds() + "s").build();

    private static Path tempDir() {
        try {
            Path d = Files.createTempDirectory("cloche-runtime-faults-");
            // runc's helpers re-exec the wrapper as the container's mapped root
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
            return d;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The fault file holds {@code <verb> <mode>}; the verb of a call is its first argument that is not an option (the
     * value of {@code --root} skipped). A hang waits on a child, so only a kill of the whole tree ends it.
     */
    private static Path wrapper() {
        Path runc = dev.cloche.linux.sys.HostProgram.byCommand("runc")
                .flatMap(dev.cloche.linux.sys.HostProgram::locate).orElseThrow();
        String script = """
                #!/bin/sh
                verb=""; skip=0
                for a in "$@"; do
                  if [ "$skip" = 1 ]; then skip=0; continue; fi
                  case "$a" in --root) skip=1 ;; -*) ;; *) verb="$a"; break ;; esac
                done
                fverb=""; mode=""
                if [ -f FAULT ]; then read -r fverb mode < FAULT; fi
                if [ -n "$verb" ] && [ "$verb" = "$fverb" ]; then
                  echo "$verb $mode" >> INJECTED
                  case "$mode" in
                    fail) echo "injected failure of $verb" >&2; exit 1 ;;
                    hang) sleep 3600; exit 1 ;;
                    hang-after) RUNC "$@"; sleep 3600; exit 1 ;;
                  esac
                fi
                exec RUNC "$@"
                """.replace("INJECTED", INJECTED.toString()).replace("FAULT", FAULT.toString()).replace("RUNC", runc.toString());
        try {
            Path w = DIR.resolve("runc-wrapper");
            Files.writeString(w, script);
            Files.setPosixFilePermissions(w, PosixFilePermissions.fromString("rwxr-xr-x"));
            return w;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void inject(String verb, String mode) {
        try {
            Files.deleteIfExists(INJECTED);
            Files.writeString(FAULT, verb + " " + mode + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What the open backend itself holds (its process tmpfs, parent cgroups, table): no container's. */
    private static List<String> backendOwn;

    @BeforeAll
    static void backendsOwnFootprint() {
        BackendContainer c = ROOT.create("warm-up");
        assertThat(run(c, "echo", "up").stdout()).isEqualTo("up\n");
        ROOT.destroy(c);
        // a destroyed container's last processes may take a moment to be reaped
        backendOwn = RootBackendExtension.settled(() -> ROOT.leftovers().stream().filter(l -> l.startsWith("process ")).toList()).isEmpty()
                ? ROOT.leftovers() : List.of("processes survived the warm-up: " + ROOT.leftovers());
        assertThat(backendOwn).noneMatch(l -> l.startsWith("depot entry") || l.startsWith("runtime container")
                || l.startsWith("process "));
    }

    /** What the host holds beyond the backend's own: what containers left. */
    private static List<String> leftByContainers() {
        return ROOT.leftovers().stream().filter(l -> !backendOwn.contains(l)).toList();
    }

    private static void assertInjected(String verb, String mode) {
        try {
            assertThat(Files.readAllLines(INJECTED)).as("faults the wrapper injected").contains(verb + " " + mode);
        } catch (IOException e) {
            throw new AssertionError("the wrapper injected no fault (" + verb + " " + mode + ")", e);
        }
    }

    @BeforeEach
    @AfterEach
    void noFault() throws IOException {
        Files.deleteIfExists(FAULT);
    }

    /** With no fault: the backend still creates, runs and destroys, and the host holds nothing afterwards. */
    private static void stillServesAndNothingIsLeft() {
        noFaultQuietly();
        BackendContainer c = ROOT.create("after");
        assertThat(run(c, "echo", "after").stdout()).isEqualTo("after\n");
        ROOT.destroy(c);
        assertThat(RootBackendExtension.settled(RuntimeFaultsIT::leftByContainers)).as("left on the host").isEmpty();
    }

    private static void noFaultQuietly() {
        try {
            Files.deleteIfExists(FAULT);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aCreateTheRuntimeFailsIsAnErrorNamingTheVerbAndLeavesNothing() {
        inject("run", "fail");
        assertThatThrownBy(() -> ROOT.create("create-fails")).isInstanceOf(GardenError.class)
                .hasMessageContaining("failed to run container").hasMessageContaining("injected failure of run");
        assertInjected("run", "fail");
        stillServesAndNothingIsLeft();
    }

    @Test
    void aCreateTheRuntimeHangsInIsKilledAtTheBoundAndLeavesNothing() {
        for (String mode : List.of("hang", "hang-after")) {
            inject("run", mode);
            long start = System.nanoTime();
            assertThatThrownBy(() -> ROOT.create("create-" + mode)).as(mode)
                    .isInstanceOf(ServiceUnavailableException.class)
                    .hasMessageContaining("did not finish run of container")
                    .hasMessageContaining("within 3 s (backend setting runtimeTimeout)");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as(mode).isLessThan(BOUND.plusSeconds(30));
            assertInjected("run", mode);
            assertThat(RootBackendExtension.settled(RuntimeFaultsIT::leftByContainers)).as("left by a create that hung (" + mode + ")").isEmpty();
        }
        stillServesAndNothingIsLeft();
    }

    @Test
    void aProcessStartTheRuntimeFailsOrHangsIsTypedAndTheContainerRunsOn() {
        BackendContainer c = ROOT.create("exec");
        inject("exec", "fail");
        assertThatThrownBy(() -> c.run(ProcessSpec.of("echo", "never").withId("start-fails")))
                .isInstanceOf(GardenException.class).hasMessageContaining("cannot start process start-fails")
                .hasMessageContaining("injected failure of exec"); // the runtime's own words, from its stderr
        assertInjected("exec", "fail");
        inject("exec", "hang");
        long start = System.nanoTime();
        assertThatThrownBy(() -> c.run(ProcessSpec.of("echo", "never").withId("start-hangs")))
                .isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("the OCI runtime's exec did not finish within 3 s (backend setting runtimeTimeout)");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(BOUND.plusSeconds(30));
        assertInjected("exec", "hang");
        noFaultQuietly();
        assertThat(run(c, "echo", "still here").stdout()).isEqualTo("still here\n");
        assertThat(c.processIds()).as("no half-started process is listed").doesNotContain("start-fails", "start-hangs");
        ROOT.destroy(c);
        stillServesAndNothingIsLeft();
    }

    @Test
    void aDeleteTheRuntimeFailsOrHangsInStillRemovesEverything() {
        for (String mode : List.of("fail", "hang")) {
            BackendContainer c = ROOT.create("delete-" + mode);
            assertThat(run(c, "echo", "up").stdout()).isEqualTo("up\n");
            BackendInfo live = c.info();
            inject("delete", mode);
            ROOT.destroy(c);
            assertInjected("delete", mode);
            assertThat(RootBackendExtension.settled(() -> ROOT.leftoversOf(live))).as("left by a delete that failed (" + mode + ")").isEmpty();
        }
        stillServesAndNothingIsLeft();
    }
}
