package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.FileRangeSink;
import dev.cloche.spi.FileBackedOutput;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

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

    /** Records each range it is sent, reading it from the channel as sendfile would. */
    private static final class RecordingSink implements FileRangeSink {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final List<Long> counts = new ArrayList<>();

        @Override
        public synchronized void sendFileRange(FileChannel file, long position, long count) throws IOException {
            ByteBuffer buf = ByteBuffer.allocate((int) count);
            while (buf.hasRemaining()) {
                if (file.read(buf, position + buf.position()) < 0) throw new IOException("range past the end");
            }
            bytes.write(buf.array(), 0, (int) count);
            counts.add(count);
        }

        synchronized String text() {
            return bytes.toString(StandardCharsets.UTF_8);
        }
    }

    @Test
    void sendToHandsOverEachNewRangeAndFollowsTheFileUntilTheProcessHasEnded() throws Exception {
        Path out = tmp.resolve("stdout");
        AtomicBoolean ended = new AtomicBoolean();
        OutputLog log = new OutputLog(ended::get);
        InputStream reader = log.open(out);
        assertThat(reader).isInstanceOf(FileBackedOutput.class);
        RecordingSink sink = new RecordingSink();
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
            try (reader) {
                ((FileBackedOutput) reader).sendTo(sink);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50);
        assertThat(sent).as("no file yet, process running").isNotDone();
        Files.writeString(out, "one ");
        log.changed();
        await(() -> sink.text().equals("one "));
        Files.writeString(out, "two", StandardOpenOption.APPEND);
        log.changed();
        await(() -> sink.text().equals("one two"));
        assertThat(sent).isNotDone();
        ended.set(true);
        log.changed();
        sent.get(5, TimeUnit.SECONDS);
        assertThat(sink.counts).containsExactly(4L, 3L);
    }

    @Test
    void sendToSplitsLargeOutputAndReleasesWhatWasSent() throws Exception {
        Path out = tmp.resolve("stdout");
        byte[] chunk = new byte[(int) MIB];
        for (int i = 0; i < 10; i++) {
            java.util.Arrays.fill(chunk, (byte) i);
            Files.write(out, chunk, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        }
        OutputLog log = new OutputLog(() -> true);
        RecordingSink sink = new RecordingSink();
        try (InputStream reader = log.open(out)) {
            ((FileBackedOutput) reader).sendTo(sink);
        }
        long range = OutputLog.MAX_RANGE;
        assertThat(sink.counts).containsExactly(range, range, 10 * MIB - 2 * range);
        byte[] all = sink.bytes.toByteArray();
        assertThat(all).hasSize((int) (10 * MIB));
        for (int i = 0; i < 10; i++) assertThat(all[(int) (i * MIB + 17)]).isEqualTo((byte) i);
        assertThat(SparseFiles.dataStart(out)).as("released in steps, KEEP before the reader").isEqualTo(7 * MIB);
        try (InputStream late = log.open(out)) {
            assertThat(late.readAllBytes()).as("a later reader replays the kept tail").hasSize((int) (3 * MIB));
        }
    }

    @Test
    void aFailingSinkEndsSendToWithItsError() throws Exception {
        Path out = tmp.resolve("stdout");
        Files.writeString(out, "lost");
        OutputLog log = new OutputLog(() -> false);
        try (InputStream reader = log.open(out)) {
            assertThatThrownBy(() -> ((FileBackedOutput) reader).sendTo((f, p, c) -> {
                throw new IOException("client gone");
            })).isInstanceOf(IOException.class).hasMessage("client gone");
        }
    }

    private static void await(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) throw new AssertionError("condition not met in 5 s");
            Thread.sleep(5);
        }
    }
}
