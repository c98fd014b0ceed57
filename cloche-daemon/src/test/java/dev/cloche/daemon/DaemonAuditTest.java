package dev.cloche.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.cloche.audit.AuditFilter;
import dev.cloche.audit.AuditReader;
import dev.cloche.audit.AuditRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The daemon as wired: a Garden call on its unix socket leaves an audit record under the depot naming the peer (uid
 * and pid from the kernel) and the request id that the core's log line of the same call carries.
 */
class DaemonAuditTest {
    @TempDir
    Path dir;

    private static java.lang.Process curl(Path socket, String method, String path, String body) throws Exception {
        java.lang.Process p = new ProcessBuilder("curl", "-sf", "-X", method, "--unix-socket", socket.toString(),
                "-H", "Content-Type: application/json", "--data-binary", body, "http://garden" + path)
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(new String(p.getInputStream().readAllBytes())).isZero();
        return p;
    }

    private DaemonConfig config(Path socket, AuditSettings audit) {
        return new DaemonConfig(Optional.empty(), Optional.of(socket), "fake", Map.of("depot", dir.resolve("depot").toString()),
                Duration.ZERO, Optional.empty(), Optional.empty(), AccessConfig.DEFAULTS, audit, Optional.empty());
    }

    @Test
    void aCreateOnTheSocketIsAuditedUnderTheDepotWithThePeerAndTheLogsRequestId() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is installed");
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        root.addAppender(logged);
        Path socket = dir.resolve("garden.sock");
        java.lang.Process create;
        try (Daemon daemon = Daemon.start(config(socket, AuditSettings.DEFAULT))) {
            create = curl(socket, "POST", "/containers",
                    "{\"handle\":\"web\",\"env\":[\"GITHUB_TOKEN=ghp_secret\",\"A=1\"],\"image\":{\"uri\":\"docker:///busybox\",\"password\":\"pw123\"}}");
            curl(socket, "DELETE", "/containers/web", "");
        } finally {
            root.detachAppender(logged);
        }
        Path file = dir.resolve("depot/audit/audit.log");
        List<AuditRecord> rs = new ArrayList<>();
        new AuditReader(file, AuditFilter.ALL, e -> rs.add(e.record())).readAll();
        assertThat(rs).extracting(AuditRecord::verb).containsExactly("create", "destroy");
        AuditRecord created = rs.getFirst();
        assertThat(created.handle()).contains("web");
        assertThat(created.caller().transport()).isEqualTo("unix");
        assertThat(created.caller().pid()).hasValue(create.pid());
        assertThat(created.caller().uid()).hasValue((Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid"));
        assertThat(created.requestId()).matches("[0-9a-f]{16}").isNotEqualTo(rs.get(1).requestId());
        assertThat(Files.readString(file)).doesNotContain("ghp_secret").doesNotContain("pw123").contains("A=1");
        // the core's own line about this create carries the same request id
        assertThat(logged.list).filteredOn(e -> e.getFormattedMessage().startsWith("created container handle=web"))
                .singleElement().satisfies(e -> assertThat(e.getMDCPropertyMap()).containsEntry("request", created.requestId()));
    }

    @Test
    void auditLogNoneWritesNothing() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is installed");
        Path socket = dir.resolve("garden.sock");
        try (Daemon daemon = Daemon.start(config(socket, AuditSettings.parse("none", dir.resolve("depot").toString(), 1, 1)))) {
            curl(socket, "POST", "/containers", "{\"handle\":\"quiet\"}");
        }
        assertThat(dir.resolve("depot/audit")).doesNotExist();
    }

    @Test
    void anExplicitPathAndRotationSettingsAreUsed() throws Exception {
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/curl")), "curl is installed");
        Path socket = dir.resolve("garden.sock");
        Path file = dir.resolve("elsewhere/a.log");
        try (Daemon daemon = Daemon.start(config(socket, AuditSettings.parse(file.toString(), "/unused", 1, 2)))) {
            curl(socket, "POST", "/containers", "{\"handle\":\"x\"}");
        }
        assertThat(Files.readAllLines(file)).singleElement().asString().contains("\"verb\":\"create\"");
    }

    @Test
    void anAuditLogThatCannotBeOpenedRefusesTheStartInOneLine() throws Exception {
        Path blocker = dir.resolve("blocker");
        Files.writeString(blocker, "a file where the log's directory should be");
        Path socket = dir.resolve("garden.sock");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Daemon.start(config(socket,
                        AuditSettings.parse(blocker.resolve("audit.log").toString(), "/unused", 1, 1))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--audit-log: cannot open audit log");
        assertThat(socket).doesNotExist();
    }
}
