package dev.cloche.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.Caller;
import dev.cloche.audit.AuditRecord;
import dev.cloche.audit.JsonLinesAuditLog;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cloche audit} over a real audit log file: filters, the two output forms, and its refusals. */
class AuditCommandTest {
    @TempDir
    Path dir;

    private Path file;
    private final Instant now = Instant.now();

    record Run(int rc, String out, String err) {
    }

    private static AuditRecord record(String request, String verb, String handle, Instant time, AuditRecord.Outcome outcome) {
        return new AuditRecord(time, request, new Caller("unix", "/run/cloche/garden.sock", OptionalInt.of(1000),
                OptionalLong.of(321), Optional.empty()), verb, Optional.of(handle), Optional.empty(), "{}", outcome);
    }

    @BeforeEach
    void log() {
        file = dir.resolve("audit.log");
        try (JsonLinesAuditLog log = JsonLinesAuditLog.open(file, 4096, 3)) {
            log.append(record("0000000000000001", "create", "web", now.minus(Duration.ofHours(3)), AuditRecord.Outcome.OK));
            log.append(record("0000000000000002", "run", "web", now.minus(Duration.ofMinutes(20)), AuditRecord.Outcome.OK));
            log.append(record("0000000000000003", "create", "db", now.minus(Duration.ofMinutes(5)), AuditRecord.Outcome.OK));
            log.append(record("0000000000000004", "destroy", "web", now.minus(Duration.ofMinutes(1)),
                    AuditRecord.Outcome.failed("conflict", "container web is being destroyed")));
        }
    }

    private static Run cloche(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int rc = Cloche.run(args);
            return new Run(rc, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    private static long lines(String s) {
        return s.lines().count();
    }

    @Test
    void filtersByHandleVerbAndSince() {
        Run all = cloche("audit", "--file", file.toString());
        assertThat(all.rc()).isZero();
        assertThat(lines(all.out())).isEqualTo(4);

        Run web = cloche("audit", "--file", file.toString(), "--handle", "web");
        assertThat(web.out()).contains("request=0000000000000001", "request=0000000000000002", "request=0000000000000004")
                .doesNotContain("handle=db");

        Run creates = cloche("audit", "--file", file.toString(), "--verb", "create");
        assertThat(lines(creates.out())).isEqualTo(2);
        assertThat(creates.out()).contains("handle=web", "handle=db");

        Run recentWeb = cloche("audit", "--file", file.toString(), "--handle", "web", "--since", "30m");
        assertThat(recentWeb.out().lines()).hasSize(2).allSatisfy(l -> assertThat(l).contains("handle=web"));
        assertThat(recentWeb.out()).contains("run handle=web ok", "error=conflict message=\"container web is being destroyed\"",
                "unix:/run/cloche/garden.sock uid=1000 pid=321");
    }

    @Test
    void jsonPrintsTheLinesAsTheyAre() throws Exception {
        Run r = cloche("audit", "--file", file.toString(), "--json", "--verb", "destroy");
        assertThat(r.out().strip()).isEqualTo(java.nio.file.Files.readAllLines(file).getLast());
    }

    @Test
    void aBadSinceAndAMissingFileAreClearRefusals() {
        Run bad = cloche("audit", "--file", file.toString(), "--since", "yesterday");
        assertThat(bad.rc()).isEqualTo(2);
        assertThat(bad.err()).contains("--since must be a duration");
        Run missing = cloche("audit", "--file", dir.resolve("nope.log").toString());
        assertThat(missing.rc()).isEqualTo(1);
        assertThat(missing.err()).contains("no audit log at");
        assertThat(AuditCommand.since("2026-12-05T10:00:00Z", now)).isEqualTo(Instant.parse("2026-12-05T10:00:00Z"));
        assertThat(AuditCommand.since("90s", now)).isEqualTo(now.minusSeconds(90));
    }
}
