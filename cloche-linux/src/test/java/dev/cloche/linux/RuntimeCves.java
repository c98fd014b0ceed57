package dev.cloche.linux;

import static dev.cloche.linux.Runs.readAll;
import static dev.cloche.linux.Runs.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.BindMount;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.api.TtySpec;
import dev.cloche.linux.Runs.Result;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.sys.TestShell;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import dev.cloche.testkit.RootBackendExtension;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Regression tests for the runtime CVEs that matter to a container manager, each running the attack from inside a
 * real container and showing it fail (docs/security.md). A subclass per runtime.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class RuntimeCves {
    private BindMount probe;

    abstract RootBackendExtension root();

    @BeforeAll
    void installProbe() {
        probe = Probe.install(root().depot());
    }

    private BackendContainer create(String prefix, boolean privileged) {
        return root().create(ContainerSpec.withHandle(root().handle(prefix)).withPrivileged(privileged)
                .withBindMounts(List.of(probe)));
    }

    private String runtimeCommand() {
        return root().settings().getOrDefault("runtime", "runc");
    }

    /**
     * CVE-2019-5736: a process in the container waits for the runtime to enter it (here made easy: the program it
     * is asked to run is a script whose interpreter is {@code /proc/self/exe}, i.e. the runtime itself), holds the
     * runtime's executable through {@code /proc/PID/exe} and reopens it for writing. With the fix the runtime runs
     * from a sealed copy, so the host binary is never reachable; without it the probe would report WROTE (it writes
     * back the byte it read, so even then nothing changes). Privileged containers are the real target: their root
     * is the host's root.
     */
    @Test
    void aContainerCannotRewriteTheRuntimeThroughProcSelfExe() throws Exception {
        Path runtime = Path.of(TestShell.check("sh", "-c", "command -v " + runtimeCommand()).stdout().strip()).toRealPath();
        String before = sha256(runtime);
        for (boolean privileged : List.of(true, false)) {
            BackendContainer c = create("exe-" + privileged, privileged);
            assertThat(run(c, ProcessSpec.of("sh", "-c", "printf '#!/proc/self/exe\\n' > /evil && chmod 755 /evil")).exit()).isZero();
            BackendProcess attacker = c.run(Probe.spec("exe-attack", "6").withId("attacker"));
            try (InputStream out = attacker.openStdout()) {
                assertThat(new String(out.readNBytes(6), StandardCharsets.UTF_8)).isEqualTo("ready\n");
            }
            for (int i = 0; i < 8; i++) {
                run(c, ProcessSpec.of("/evil")); // the runtime as the container's process: it fails, as it should
                run(c, ProcessSpec.of("true"));
            }
            assertThat(attacker.exit().get(60, TimeUnit.SECONDS)).isZero();
            List<String> report = readAll(attacker.openStdout()).lines().filter(l -> l.startsWith("pid=")).toList();
            System.out.printf("CVE-2019-5736 probe on %s (privileged %s):%n  %s%n", runtimeCommand(), privileged,
                    String.join("\n  ", report));
            assertThat(report).as("the probe saw the runtime enter the container").isNotEmpty();
            assertThat(report).as("privileged %s", privileged).noneMatch(l -> l.contains("WROTE"));
            root().destroy(c);
        }
        assertThat(sha256(runtime)).as("the host's runtime binary").isEqualTo(before);
    }

    /**
     * CVE-2024-21626: a process gets no file descriptor of the host beyond its own stdio, with or without a
     * terminal, and a working directory of {@code /proc/self/fd/N} (the attack: a leaked fd of a host directory as
     * the cwd, then {@code ../..} to the host's root) never reaches the host: a file only the host has is never read.
     */
    @Test
    void noHostFileDescriptorLeaksIntoAProcessNorThroughItsWorkingDirectory() throws IOException {
        String secret = "host-only-" + UUID.randomUUID();
        Path hostDir = Files.createTempDirectory("cloche-cve-21626-");
        Files.writeString(hostDir.resolve("secret"), secret);
        try {
            for (boolean privileged : List.of(false, true)) {
                BackendContainer c = create("fds-" + privileged, privileged);
                for (String user : List.of("root", "1000:1000")) {
                    List<String> fds = Runs.run(c, Probe.spec("fds").withUser(user)).stdout().lines().toList();
                    assertThat(fds).as("fds of %s (privileged %s)", user, privileged).hasSize(4);
                    assertThat(fds).extracting(l -> l.split(" ")[0]).containsExactly("0", "1", "2", "cwd");
                    assertThat(fds.get(3)).isIn("cwd /", "cwd /root");
                    Result tty = run(c, Probe.spec("fds").withUser(user).withTty(Optional.of(TtySpec.DEFAULT)));
                    assertThat(tty.stdout().lines().map(l -> l.split(" ")[0])).as("on a terminal").containsExactly("0", "1", "2", "cwd");
                }
                String climb = "../".repeat(40) + hostDir.toString().substring(1) + "/secret";
                // the backend looks for the directory in the container's files before the runtime is asked; make it
                // find one there (/proc in the image, under the container's procfs), so the runtime meets the attack
                Path merged = Path.of(c.info().containerPath(), "merged");
                int refused = 0;
                for (int fd = 3; fd <= 12; fd++) {
                    Files.createDirectories(merged.resolve("proc/self/fd/" + fd));
                }
                for (int fd = 3; fd <= 12; fd++) {
                    try {
                        Result r = run(c, ProcessSpec.of("sh", "-c", "cat " + climb + "; pwd").withDir("/proc/self/fd/" + fd));
                        assertThat(r.stdout() + r.stderr()).as("cwd /proc/self/fd/%d", fd).doesNotContain(secret);
                    } catch (GardenException e) {
                        if (refused++ == 0) System.out.println("CVE-2024-21626 refusal: " + e.getMessage());
                        assertThat(e.getMessage()).doesNotContain(secret); // the runtime refused to start it there
                    }
                }
                System.out.printf("CVE-2024-21626 on %s (privileged %s): %d of 10 fd working directories refused at start%n",
                        runtimeCommand(), privileged, refused);
                root().destroy(c);
            }
        } finally {
            Trees.deleteRecursively(hostDir);
        }
    }

    /**
     * CVE-2018-15664 class: while a process in the container swaps a path between a directory and a symlink to a
     * path that also exists on the host, stream-out of that path (again and again) only ever packs the container's
     * files, never the host's.
     */
    @Test
    void aStreamOutRacingASymlinkSwapStaysInsideTheContainer() throws Exception {
        String secret = "host-only-" + UUID.randomUUID();
        Path hostDir = Files.createTempDirectory("cloche-race-");
        Files.writeString(hostDir.resolve("HOST-SECRET"), secret);
        BackendContainer c = create("race", false);
        try {
            assertThat(run(c, ProcessSpec.of("sh", "-c", "mkdir -p /race \"$1\" && echo container > \"$1\"/container-side",
                    "sh", hostDir.toString())).exit()).isZero();
            BackendProcess swapper = c.run(ProcessSpec.of("sh", "-c", "cd /race; while :; do rm -rf x; mkdir x; "
                    + "echo inside > x/inside; rm -rf x; ln -s \"$1\" x; done", "sh", hostDir.toString()).withId("swapper"));
            int packed = 0;
            List<String> seen = new ArrayList<>();
            for (int i = 0; i < 60; i++) {
                String path = i % 2 == 0 ? "/race/x" : "/race/x/";
                byte[] tar;
                try (InputStream in = c.streamOut(new StreamOutSpec(path, ""))) {
                    tar = in.readAllBytes();
                } catch (GardenException | IOException e) {
                    continue; // the path was missing at that instant
                }
                String text = new String(tar, StandardCharsets.ISO_8859_1);
                assertThat(text).as("stream-out %d of %s", i, path).doesNotContain(secret).doesNotContain("HOST-SECRET");
                packed++;
                if (text.contains("container-side")) seen.add("symlink");
                if (text.contains("inside")) seen.add("directory");
            }
            System.out.printf("CVE-2018-15664 race: %d of 60 stream-outs packed, through the symlink %d times%n",
                    packed, seen.stream().filter("symlink"::equals).count());
            assertThat(packed).as("stream-outs that packed something").isPositive();
            swapper.signal(Signal.KILL);
            swapper.exit().get(30, TimeUnit.SECONDS);
        } finally {
            root().destroy(c);
            Trees.deleteRecursively(hostDir);
        }
    }

    private static String sha256(Path file) throws Exception {
        var digest = java.security.MessageDigest.getInstance("SHA-256");
        return java.util.HexFormat.of().formatHex(digest.digest(Files.readAllBytes(file)));
    }
}
