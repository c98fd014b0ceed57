package dev.cloche.audit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Caller;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file: format round trip, modes, rotation, and reading it back filtered and followed. */
class JsonLinesAuditLogTest {
    @TempDir
    Path dir;

    private static AuditRecord record(int i, String verb, String handle, Instant time) {
        return new AuditRecord(time, String.format("%016x", i),
                new Caller("tls", "10.0.0.7:5555", OptionalInt.empty(), OptionalLong.empty(), Optional.of("CN=ops")),
                verb, Optional.of(handle), Optional.empty(), "{\"n\":" + i + "}", AuditRecord.Outcome.OK);
    }

    @Test
    void aRecordRoundTripsThroughItsLine() {
        AuditRecord ok = new AuditRecord(Instant.parse("2026-12-05T10:00:00.123Z"), "00000000000000ab",
                new Caller("unix", "/run/cloche/garden.sock", OptionalInt.of(0), OptionalLong.of(77), Optional.empty()),
                "run", Optional.of("h"), Optional.of("p"), "{\"spec\":{\"path\":\"sh\"}}", AuditRecord.Outcome.OK);
        AuditRecord failed = new AuditRecord(ok.time(), "-", Caller.internal("proxy"), "destroy", Optional.of("h"),
                Optional.empty(), "{}", AuditRecord.Outcome.failed("conflict", "busy"));
        String line = AuditJson.encode(ok);
        assertThat(line).doesNotContain("\n").startsWith("{\"time\":\"2026-12-05T10:00:00.123Z\",\"request\":\"00000000000000ab\"")
                .contains("\"caller\":{\"transport\":\"unix\",\"address\":\"/run/cloche/garden.sock\",\"uid\":0,\"pid\":77}",
                        "\"outcome\":\"ok\"");
        assertThat(AuditJson.decode(line)).contains(ok);
        assertThat(AuditJson.encode(failed)).contains("\"outcome\":\"error\",\"error\":\"conflict\",\"message\":\"busy\"");
        assertThat(AuditJson.decode(AuditJson.encode(failed))).contains(failed);
        assertThat(AuditJson.decode("{\"time\":\"2026-12-05T10:00:00Z\",\"verb\":\"cre")).isEmpty();
        assertThat(AuditJson.decode("not json")).isEmpty();
    }

    @Test
    void theFileIsRootOnlyAndAppendedTo() throws IOException {
        Path file = dir.resolve("audit/audit.log");
        try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, 1 << 20, 2)) {
            log.append(record(1, "create", "a", Instant.now()));
        }
        try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, 1 << 20, 2)) {
            log.append(record(2, "destroy", "a", Instant.now()));
        }
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent()))).isEqualTo("rwx------");
        assertThat(Files.readAllLines(file)).hasSize(2);
    }

    @Test
    void rotatesBySizeKeepingNFilesAndTheReaderSeesThemInOrder() throws IOException {
        Path file = dir.resolve("audit.log");
        int n = 200;
        try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, 4096, 3)) {
            for (int i = 0; i < n; i++) {
                log.append(record(i, "create", "h" + i, Instant.now()));
            }
        }
        assertThat(file.resolveSibling("audit.log.1")).exists();
        assertThat(file.resolveSibling("audit.log.3")).exists();
        assertThat(file.resolveSibling("audit.log.4")).doesNotExist();
        for (String name : List.of("audit.log", "audit.log.1", "audit.log.2", "audit.log.3")) {
            assertThat(Files.size(file.resolveSibling(name))).isLessThanOrEqualTo(4096);
        }
        List<Integer> seen = new ArrayList<>();
        new AuditReader(file, AuditFilter.ALL, e -> seen.add(Integer.parseInt(e.record().requestId(), 16))).readAll();
        // the newest records survive, in order, with none missing in between
        assertThat(seen).isNotEmpty().last().isEqualTo(n - 1);
        assertThat(seen).containsExactlyElementsOf(java.util.stream.IntStream.range(seen.getFirst(), n).boxed().toList());
        assertThat(seen.getFirst()).isGreaterThan(0);
    }

    @Test
    void theReaderFiltersByHandleVerbAndTime() throws IOException {
        Path file = dir.resolve("audit.log");
        Instant now = Instant.now();
        try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, 1 << 20, 1)) {
            log.append(record(1, "create", "a", now.minus(Duration.ofHours(2))));
            log.append(record(2, "create", "b", now.minus(Duration.ofMinutes(5))));
            log.append(record(3, "run", "a", now.minus(Duration.ofMinutes(1))));
            log.append(record(4, "destroy", "a", now));
        }
        assertThat(read(file, new AuditFilter(Optional.of("a"), Optional.empty(), Optional.empty()))).containsExactly(1, 3, 4);
        assertThat(read(file, new AuditFilter(Optional.empty(), Optional.of("create"), Optional.empty()))).containsExactly(1, 2);
        assertThat(read(file, new AuditFilter(Optional.of("a"), Optional.empty(), Optional.of(now.minus(Duration.ofMinutes(10))))))
                .containsExactly(3, 4);
    }

    private static List<Integer> read(Path file, AuditFilter f) throws IOException {
        List<Integer> seen = new ArrayList<>();
        new AuditReader(file, f, e -> seen.add(Integer.parseInt(e.record().requestId(), 16))).readAll();
        return seen;
    }

    @Test
    void followingSeesNewRecordsAcrossRotations() throws Exception {
        Path file = dir.resolve("audit.log");
        List<Integer> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, 4096, 5)) {
            log.append(record(0, "create", "x", Instant.now()));
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    new AuditReader(file, new AuditFilter(Optional.of("x"), Optional.empty(), Optional.empty()),
                            e -> seen.add(Integer.parseInt(e.record().requestId(), 16))).follow(stop::get);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            for (int i = 1; i < 60; i++) {
                log.append(record(i, "run", i % 2 == 0 ? "x" : "y", Instant.now()));
                if (i % 10 == 0) {
                    Thread.sleep(250); // let the reader poll between rotations
                }
            }
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (seen.size() < 30 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            stop.set(true);
            reader.join();
        }
        assertThat(file.resolveSibling("audit.log.1")).exists();
        assertThat(seen).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 60).filter(i -> i % 2 == 0).boxed().toList());
    }

    @Test
    void followingMissesNothingWhenSeveralRotationsHappenBetweenTwoPolls() throws Exception {
        Path file = dir.resolve("audit.log");
        List<Integer> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, 4096, 20)) {
            log.append(record(0, "create", "x", Instant.now()));
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    new AuditReader(file, AuditFilter.ALL, e -> seen.add(Integer.parseInt(e.record().requestId(), 16)))
                            .follow(stop::get);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long deadline = System.nanoTime() + 5_000_000_000L;
            while (seen.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            // some 4 rotations inside one poll interval (200 ms)
            for (int i = 1; i < 80; i++) {
                log.append(record(i, "run", "x", Instant.now()));
            }
            assertThat(file.resolveSibling("audit.log.3")).exists();
            while (seen.size() < 80 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            stop.set(true);
            reader.join();
        }
        assertThat(seen).containsExactlyElementsOf(java.util.stream.IntStream.range(0, 80).boxed().toList());
    }
}
