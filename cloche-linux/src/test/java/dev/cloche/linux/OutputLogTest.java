package dev.cloche.linux;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputLogTest {
    @TempDir Path dir;

    @Test
    void readersOpenedAfterTheEndReplayEverything() throws Exception {
        OutputLog log = new OutputLog(dir.resolve("out"));
        log.pump(new ByteArrayInputStream("hello world".getBytes(StandardCharsets.UTF_8)));
        assertThat(log.finished()).isTrue();
        for (int i = 0; i < 2; i++) {
            try (InputStream in = log.open()) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("hello world");
            }
        }
    }

    @Test
    void aLiveReaderBlocksUntilThePumpDeliversThenEndsAtEof() throws Exception {
        OutputLog log = new OutputLog(dir.resolve("out"));
        PipedOutputStream producer = new PipedOutputStream();
        PipedInputStream source = new PipedInputStream(producer);
        Thread pump = Thread.ofVirtual().start(() -> log.pump(source));
        InputStream reader = log.open();
        CompletableFuture<String> all = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(reader.readAllBytes(), StandardCharsets.UTF_8);
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        });
        producer.write("a".getBytes(StandardCharsets.UTF_8));
        producer.flush();
        assertThat(all).isNotDone();
        producer.write("b".getBytes(StandardCharsets.UTF_8));
        producer.close();
        assertThat(all.get(5, TimeUnit.SECONDS)).isEqualTo("ab");
        pump.join();
    }

    @Test
    void closingABlockedReaderUnblocksIt() throws Exception {
        OutputLog log = new OutputLog(dir.resolve("out"));
        InputStream reader = log.open();
        CompletableFuture<Integer> read = CompletableFuture.supplyAsync(() -> {
            try {
                return reader.read();
            } catch (java.io.IOException e) {
                throw new IllegalStateException(e);
            }
        });
        Thread.sleep(50); // give the reader time to block; the assertion below does not depend on it
        reader.close();
        assertThat(read.get(5, TimeUnit.SECONDS)).isEqualTo(-1);
        log.close();
    }
}
