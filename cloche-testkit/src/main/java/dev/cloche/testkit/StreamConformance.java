package dev.cloche.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.ContainerSpec;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.api.TtySpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Process streams: live stdin to stdout, output larger than any buffer to several readers, a terminal; and a
 * stream-out of a path the container does not have.
 */
public interface StreamConformance extends BackendUnderTest {

    /**
     * A missing source is the caller's mistake, not the server's: a typed refusal naming the path (never an internal
     * error quoting tar), and the container serves on.
     */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void streamOutOfAMissingPathIsRefusedNamingIt() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        assertThatThrownBy(() -> c.streamOut(new StreamOutSpec("/no/such/path", "")).close())
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("/no/such/path");
        assertThat(exitOf(c.run(echo("still here").withId("after")))).isZero();
    }

    /** Each line must come back before the next is sent: output is followed live, not delivered at exit. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void stdinAndStdoutRoundTripLiveLineByLine() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess p = c.run(cat().withId("live"));
        StringBuilder sent = new StringBuilder();
        try (InputStream out = p.openStdout()) {
            for (int i = 0; i < 50; i++) {
                String line = "line " + i + "\n";
                p.stdin().write(line.getBytes(StandardCharsets.UTF_8));
                p.stdin().flush();
                assertThat(readN(out, line.length())).isEqualTo(line);
                sent.append(line);
            }
            p.stdin().close();
            assertThat(exitOf(p)).isZero();
            assertThat(readAll(out)).as("nothing after the echoed lines").isEmpty();
        }
        assertThat(readAll(p.openStderr())).isEmpty();
        assertThat(readAll(p.openStdout())).isEqualTo(sent.toString());
    }

    /** About 7 MB, far beyond the output buffers and the kept tail: two readers opened at the start get every byte. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void largeOutputReachesEveryReaderWhole() throws Exception {
        int n = 1_000_000;
        StringBuilder expected = new StringBuilder();
        for (int i = 1; i <= n; i++) expected.append(i).append('\n');
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess p = c.run(countTo(n).withId("count"));
        InputStream first = p.openStdout();
        InputStream second = p.openStdout();
        try (ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
            CompletableFuture<String> a = CompletableFuture.supplyAsync(() -> readAll(first), readers);
            CompletableFuture<String> b = CompletableFuture.supplyAsync(() -> readAll(second), readers);
            assertThat(p.exit().get(60, TimeUnit.SECONDS)).isZero();
            for (CompletableFuture<String> reader : List.of(a, b)) {
                String got = reader.get(60, TimeUnit.SECONDS);
                assertThat(got.length()).isEqualTo(expected.length());
                assertThat(got.equals(expected.toString())).as("every byte in order").isTrue();
            }
        }
        assertThat(readAll(p.openStderr())).isEmpty();
    }

    /** Under a TTY: the window asked for (80x24 by default), stderr merged into stdout, a terminal's line ends. */
    @Test
    @Timeout(value = 120, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    default void ttyProcessesGetTheirWindowAndOneMergedOutput() throws Exception {
        BackendContainer c = create(ContainerSpec.withHandle(uniqueHandle()));
        BackendProcess sized = c.run(windowSize().withTty(Optional.of(TtySpec.of(100, 30))).withId("sized"));
        assertThat(exitOf(sized)).isZero();
        assertThat(readAll(sized.openStdout())).isEqualTo("30 100\r\n");
        BackendProcess plain = c.run(windowSize().withTty(Optional.of(TtySpec.DEFAULT)).withId("plain"));
        assertThat(exitOf(plain)).isZero();
        assertThat(readAll(plain.openStdout())).isEqualTo("24 80\r\n");
        BackendProcess merged = c.run(emit("out", "err", 3).withTty(Optional.of(TtySpec.DEFAULT)).withId("merged"));
        assertThat(exitOf(merged)).isEqualTo(3);
        assertThat(readAll(merged.openStdout())).isEqualTo("out\r\nerr\r\n");
        assertThat(readAll(merged.openStderr())).isEmpty();
    }
}
