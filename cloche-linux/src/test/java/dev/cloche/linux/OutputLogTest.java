package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.linux.sys.SparseFiles;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputLogTest {
    private static final long MIB = 1 << 20;
    @TempDir Path tmp;

    @Test
    void releaseKeepsTheLastMibBeforeTheSlowestReaderInStepsOfFourMib() {
        assertThat(OutputLog.release(new long[] {}, 0)).as("nobody reads: kept for a later attach").isEmpty();
        assertThat(OutputLog.release(new long[] {5 * MIB - 1}, 0)).as("less than a step").isEmpty();
        assertThat(OutputLog.release(new long[] {5 * MIB}, 0)).hasValue(new OutputLog.Release(0, 4 * MIB));
        assertThat(OutputLog.release(new long[] {20 * MIB, 0}, 0)).as("a reader at 0 holds it back").isEmpty();
        assertThat(OutputLog.release(new long[] {20 * MIB, 9 * MIB + 100}, 4 * MIB)).hasValue(new OutputLog.Release(4 * MIB, 8 * MIB));
        assertThat(OutputLog.release(new long[] {11 * MIB}, 8 * MIB)).as("the next step is not due").isEmpty();
        assertThat(OutputLog.release(new long[] {6 * MIB + 5000}, 0)).as("page-aligned")
                .hasValue(new OutputLog.Release(0, 5 * MIB + 4096));
    }

    @Test
    void aReaderFollowsTheFileUntilTheProcessHasEnded() throws Exception {
        Path out = tmp.resolve("stdout");
        AtomicBoolean ended = new AtomicBoolean();
        OutputLog log = new OutputLog(ended::get);
        InputStream reader = log.open(out);
        CompletableFuture<byte[]> all = CompletableFuture.supplyAsync(() -> {
            try (reader) {
                return reader.readAllBytes();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Files.writeString(out, "one ");
        log.changed();
        Files.writeString(out, "two", StandardOpenOption.APPEND);
        log.changed();
        Thread.sleep(50);
        assertThat(all).isNotDone();
        ended.set(true);
        log.changed();
        assertThat(new String(all.get(5, TimeUnit.SECONDS))).isEqualTo("one two");
        assertThat(log.open(tmp.resolve("never-written")).read()).as("no file and ended").isEqualTo(-1);
    }

    @Test
    void consumedOutputIsReleasedAndANewReaderStartsWhereTheDataStarts() throws Exception {
        Path out = tmp.resolve("stdout");
        byte[] chunk = new byte[(int) MIB];
        for (int i = 0; i < 6; i++) Files.write(out, chunk, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        OutputLog log = new OutputLog(() -> true);
        try (InputStream first = log.open(out)) {
            assertThat(first.readAllBytes()).hasSize((int) (6 * MIB));
        }
        assertThat(SparseFiles.dataStart(out)).as("released up to KEEP before the reader").isEqualTo(4 * MIB);
        try (InputStream late = log.open(out)) {
            assertThat(late.readAllBytes()).hasSize((int) (2 * MIB));
        }
    }

    @Test
    void anOpenReaderThatDoesNotReadHoldsTheReleaseBack() throws Exception {
        Path out = tmp.resolve("stdout");
        byte[] chunk = new byte[(int) MIB];
        for (int i = 0; i < 6; i++) Files.write(out, chunk, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        OutputLog log = new OutputLog(() -> true);
        try (InputStream idle = log.open(out); InputStream busy = log.open(out)) {
            assertThat(busy.readAllBytes()).hasSize((int) (6 * MIB));
            assertThat(SparseFiles.dataStart(out)).isZero();
            assertThat(idle.readAllBytes()).hasSize((int) (6 * MIB));
        }
    }
}
