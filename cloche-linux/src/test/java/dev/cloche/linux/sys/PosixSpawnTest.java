package dev.cloche.linux.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class PosixSpawnTest {
    private static CommandResult run(List<String> argv) throws IOException {
        return PosixSpawn.run(argv, Duration.ofSeconds(10));
    }

    @Test
    void aChildThatHangsIsKilledWithItsWholeGroupAfterTheTimeout() throws Exception {
        java.nio.file.Path pidFile = java.nio.file.Files.createTempFile("spawn-test", ".pid");
        try {
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> PosixSpawn.run(List.of("/bin/sh", "-c", "sleep 100 & echo $! > " + pidFile + "; wait"),
                    Duration.ofMillis(300))).isInstanceOf(CommandTimedOut.class).hasMessageContaining("within 300 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
            long background = Long.parseLong(java.nio.file.Files.readString(pidFile).strip());
            assertThat(ProcFs.awaitGone(List.of(background), Duration.ofSeconds(5))).as("the group's other member").isTrue();
        } finally {
            java.nio.file.Files.deleteIfExists(pidFile);
        }
    }

    @Test
    void aCommandThatHangsIsKilledWithItsDescendantsAfterTheRunnersBound() throws Exception {
        java.nio.file.Path pidFile = java.nio.file.Files.createTempFile("runner-test", ".pid");
        try {
            CommandRunner runner = CommandRunners.spawning(Duration.ofSeconds(60)).withTimeout(Duration.ofMillis(300));
            long t0 = System.nanoTime();
            assertThatThrownBy(() -> runner.run(List.of("/bin/sh", "-c", "sleep 100 & echo $! > " + pidFile + "; wait")))
                    .isInstanceOf(CommandTimedOut.class).hasMessageContaining("within 300 ms");
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            long background = Long.parseLong(java.nio.file.Files.readString(pidFile).strip());
            assertThat(ProcFs.awaitGone(List.of(background), Duration.ofSeconds(5))).as("the shell's child").isTrue();
        } finally {
            java.nio.file.Files.deleteIfExists(pidFile);
        }
    }

    @Test
    void mergesOutputAndReportsTheExitStatus() throws IOException {
        CommandResult r = run(List.of("/bin/sh", "-c", "echo out; echo err >&2; cat; exit 3"));
        assertThat(r.exitCode()).isEqualTo(3);
        assertThat(r.stdout()).isEqualTo("out\nerr\n"); // cat read /dev/null: no stdin reaches the child
    }

    @Test
    void aSignalEndingTheChildIsReportedAs128PlusItsNumber() throws IOException {
        assertThat(run(List.of("/bin/sh", "-c", "kill -9 $$")).exitCode()).isEqualTo(137);
    }

    @Test
    void theChildGetsNoneOfTheJvmsBlockedOrIgnoredSignalsNorItsDescriptors() throws IOException {
        String status = run(List.of("/bin/cat", "/proc/self/status")).stdout();
        assertThat(status).containsPattern("SigBlk:\\s+0+\\n");
        // glibc keeps its two internal signals (32, 33) out of sigfillset, so only they may stay ignored
        assertThat(status).containsPattern("SigIgn:\\s+0*(18)?0{7}\\n");
        String fds = run(List.of("/bin/ls", "/proc/self/fd")).stdout();
        assertThat(fds.lines().toList()).as("stdin, stdout, stderr and ls's own directory fd").hasSizeLessThanOrEqualTo(4);
    }

    @Test
    void aMissingProgramIsAnError() {
        assertThatThrownBy(() -> run(List.of("/nonexistent/prog"))).isInstanceOf(IOException.class)
                .hasMessageContaining("/nonexistent/prog");
    }

    @Test
    void toFilesKeepsStdoutAndStderrApartAndReportsTheExitStatus() throws IOException {
        java.nio.file.Path out = java.nio.file.Files.createTempFile("spawn-test", ".out");
        java.nio.file.Path err = java.nio.file.Files.createTempFile("spawn-test", ".err");
        try {
            int code = PosixSpawn.runToFiles(List.of("/bin/sh", "-c", "echo out; echo err >&2; cat; exit 3"), out, err,
                    Duration.ofSeconds(10));
            assertThat(code).isEqualTo(3);
            assertThat(out).content().isEqualTo("out\n"); // cat read /dev/null
            assertThat(err).content().isEqualTo("err\n");
        } finally {
            java.nio.file.Files.deleteIfExists(out);
            java.nio.file.Files.deleteIfExists(err);
        }
    }

    @Test
    void toFilesReturnsAtTheExitEvenIfADescendantKeepsTheOutputOpen() throws Exception {
        // as `runtime create` does: the container's init keeps the stdio it was handed
        CommandRunner runner = CommandRunners.spawning(Duration.ofSeconds(60));
        java.nio.file.Path pidFile = java.nio.file.Files.createTempFile("spawn-test", ".pid");
        try {
            long t0 = System.nanoTime();
            CommandResult r = runner.run(List.of("/bin/sh", "-c", "sleep 30 & echo $! > " + pidFile + "; echo started"));
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
            assertThat(r.exitCode()).isZero();
            assertThat(r.stdout()).isEqualTo("started\n");
            new ProcessBuilder("kill", java.nio.file.Files.readString(pidFile).strip()).start().waitFor();
        } finally {
            java.nio.file.Files.deleteIfExists(pidFile);
        }
    }

    @Test
    void toFilesKillsADescendantInASessionOfItsOwnAtTheTimeout() throws Exception {
        java.nio.file.Path pidFile = java.nio.file.Files.createTempFile("spawn-test", ".pid");
        try {
            CommandRunner runner = CommandRunners.spawning(Duration.ofSeconds(60)).withTimeout(Duration.ofMillis(500));
            assertThatThrownBy(() -> runner.run(List.of("/bin/sh", "-c",
                    "setsid sleep 100 & echo $! > " + pidFile + "; wait"))).isInstanceOf(CommandTimedOut.class);
            long escaped = Long.parseLong(java.nio.file.Files.readString(pidFile).strip());
            assertThat(ProcFs.awaitGone(List.of(escaped), Duration.ofSeconds(5))).as("the child in its own session").isTrue();
        } finally {
            java.nio.file.Files.deleteIfExists(pidFile);
        }
    }

    @Test
    void aDeclaredProgramIsFoundWithoutThePath() {
        CommandRunner runner = CommandRunners.spawning(Duration.ofSeconds(60));
        assertThat(runner.run(List.of("ip", "-V")).stdout()).contains("ip");
    }
}
