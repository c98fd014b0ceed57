package dev.cloche.linux.oci;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.GardenError;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.RecordingCommandRunner;
import dev.cloche.linux.sys.SealedBinaries;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class RuncCliTest {
    private static final Path RUNC = Path.of("/usr/sbin/runc");
    private static final Path ROOT = Path.of("/run/cloche/runtime");

    @Test
    void lifecycleArgv() {
        RecordingCommandRunner r = new RecordingCommandRunner();
        OciRuntime runc = OciRuntimes.cli(r, RUNC, ROOT);
        runc.create("c1", Path.of("/d/c1"), Path.of("/d/c1/init.pid"), SessionKeyring.OWN);
        runc.start("c1");
        runc.kill("c1", "KILL", true);
        runc.kill("c1", "TERM", false);
        runc.delete("c1");
        assertThat(r.calls()).containsExactly(
                List.of("/usr/sbin/runc", "--root", "/run/cloche/runtime", "create", "--bundle", "/d/c1", "--pid-file", "/d/c1/init.pid", "c1"),
                List.of("/usr/sbin/runc", "--root", "/run/cloche/runtime", "start", "c1"),
                List.of("/usr/sbin/runc", "--root", "/run/cloche/runtime", "kill", "--all", "c1", "KILL"),
                List.of("/usr/sbin/runc", "--root", "/run/cloche/runtime", "kill", "c1", "TERM"),
                List.of("/usr/sbin/runc", "--root", "/run/cloche/runtime", "delete", "c1"));
    }

    @Test
    void everyCallExecutesTheSealedCopyAndMessagesNameTheBinary() {
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> new CommandResult(1, "", "boom"));
        SealedBinaries copies = new SealedBinaries() {
            @Override
            public Path executable(Path binary) {
                return Path.of("/proc/7/fd/9");
            }

            @Override
            public void close() {}
        };
        OciRuntime runc = OciRuntimes.cli(r, RUNC, ROOT, copies);
        assertThatThrownBy(() -> runc.start("c1")).hasMessageContaining("the OCI runtime /usr/sbin/runc failed to start");
        assertThat(runc.execDetachedArgv("c1", Path.of("/p.json"), Path.of("/p.pid"), Path.of("/log"), false).getFirst())
                .as("what the monitor executes").isEqualTo("/proc/7/fd/9");
        assertThat(r.calls()).containsExactly(List.of("/proc/7/fd/9", "--root", "/run/cloche/runtime", "start", "c1"));
    }

    @Test
    void execIsStartedAsAStreamingChild() {
        RecordingCommandRunner r = new RecordingCommandRunner();
        assertThatThrownBy(() -> OciRuntimes.cli(r, RUNC, ROOT).exec("c1", Path.of("/p.json"), Path.of("/p.pid")))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(r.calls()).containsExactly(List.of("/usr/sbin/runc", "--root", "/run/cloche/runtime", "exec",
                "--process", "/p.json", "--pid-file", "/p.pid", "c1"));
    }

    @Test
    void runIsStartedInTheForegroundAsAStreamingChild() {
        RecordingCommandRunner r = new RecordingCommandRunner();
        assertThatThrownBy(() -> OciRuntimes.cli(r, RUNC, ROOT).run("c1-t1", Path.of("/b"), SessionKeyring.OWN))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThat(r.calls()).containsExactly(List.of("/usr/sbin/runc", "--root", "/run/cloche/runtime", "run",
                "--bundle", "/b", "c1-t1"));
    }

    @Test
    void containersWithoutAKeyringOfTheirOwnAreMadeWithNoNewKeyring() {
        RecordingCommandRunner r = new RecordingCommandRunner();
        OciRuntime runc = OciRuntimes.cli(r, RUNC, ROOT);
        runc.runDetached("u1", Path.of("/d/u1"), Path.of("/d/u1/init.pid"), SessionKeyring.INHERITED);
        runc.runDetached("p1", Path.of("/d/p1"), Path.of("/d/p1/init.pid"), SessionKeyring.OWN);
        runc.create("u2", Path.of("/d/u2"), Path.of("/d/u2/init.pid"), SessionKeyring.INHERITED);
        assertThat(r.calls()).containsExactly(
                List.of("/usr/sbin/runc", "--root", "/run/cloche/runtime", "run", "--no-new-keyring", "--detach",
                        "--bundle", "/d/u1", "--pid-file", "/d/u1/init.pid", "u1"),
                List.of("/usr/sbin/runc", "--root", "/run/cloche/runtime", "run", "--detach",
                        "--bundle", "/d/p1", "--pid-file", "/d/p1/init.pid", "p1"),
                List.of("/usr/sbin/runc", "--root", "/run/cloche/runtime", "create", "--no-new-keyring",
                        "--bundle", "/d/u2", "--pid-file", "/d/u2/init.pid", "u2"));
        assertThat(runc.runDetachedArgv("pea", Path.of("/b"), Path.of("/p"), Path.of("/l"), false, SessionKeyring.INHERITED))
                .containsExactly("/usr/sbin/runc", "--root", "/run/cloche/runtime", "--log=/l", "--log-format=json", "run",
                        "--no-new-keyring", "--detach", "--pid-file", "/p", "--bundle", "/b", "pea");
        assertThat(SessionKeyring.of(true)).isEqualTo(SessionKeyring.OWN);
        assertThat(SessionKeyring.of(false)).isEqualTo(SessionKeyring.INHERITED);
    }

    @Test
    void detachedExecLogsJsonForTheMonitorAndAsksForAConsoleOnlyWithATty() {
        OciRuntime runtime = OciRuntimes.cli(new RecordingCommandRunner(), RUNC, ROOT);
        assertThat(runtime.execDetachedArgv("c1", Path.of("/d/process.json"), Path.of("/d/pid"), Path.of("/d/runtime.log"), false))
                .containsExactly("/usr/sbin/runc", "--root", "/run/cloche/runtime", "--log=/d/runtime.log", "--log-format=json",
                        "exec", "--detach", "--pid-file", "/d/pid", "--process", "/d/process.json", "c1");
        assertThat(runtime.execDetachedArgv("c1", Path.of("/d/process.json"), Path.of("/d/pid"), Path.of("/d/runtime.log"), true))
                .containsSubsequence("--console-socket", "@CONSOLE@", "c1");
    }

    @Test
    void stateParsesStatusAndPid() {
        RecordingCommandRunner r = new RecordingCommandRunner(argv -> CommandResult.ok("{\n  \"ociVersion\": \"1.0.2\",\n  \"id\": \"c1\",\n  \"pid\": 4242,\n  \"status\": \"running\"\n}"));
        assertThat(OciRuntimes.cli(r, RUNC, ROOT).state("c1")).contains(new OciRuntime.State("running", 4242));
    }

    @Test
    void deleteOfAnUnknownContainerCountsAsDeletedButAFailedDeleteOfAKnownOneThrows() {
        RecordingCommandRunner unknown = new RecordingCommandRunner(argv -> new CommandResult(1, "", "container does not exist"));
        OciRuntimes.cli(unknown, RUNC, ROOT).delete("gone");
        assertThat(unknown.calls()).hasSize(2);

        RecordingCommandRunner stuck = new RecordingCommandRunner(argv -> argv.contains("state")
                ? CommandResult.ok("{\"pid\": 1, \"status\": \"running\"}") : new CommandResult(1, "", "cannot delete running"));
        assertThatThrownBy(() -> OciRuntimes.cli(stuck, RUNC, ROOT).delete("c1")).isInstanceOf(GardenError.class)
                .hasMessageContaining("cannot delete running");
    }
}
