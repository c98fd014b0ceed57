package dev.cloche.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daemon's wiring of the browser console: off by default; with --web-listen a root-only token that logs in. */
class DaemonWebTest {
    @TempDir
    Path dir;

    private DaemonConfig config(Optional<WebSettings> web) {
        return new DaemonConfig(Optional.empty(), Optional.of(dir.resolve("garden.sock")), "fake",
                Map.of("depot", dir.resolve("depot").toString()), Duration.ZERO, Optional.empty(), Optional.empty(),
                AccessConfig.DEFAULTS, AuditSettings.DEFAULT, Optional.empty(), web);
    }

    @Test
    void offByDefault() {
        try (Daemon d = Daemon.start(config(Optional.empty()))) {
            assertThat(d.webPort()).isEmpty();
            assertThat(dir.resolve("depot/web")).doesNotExist();
        }
    }

    @Test
    void aFreshRootOnlyTokenEachStartLogsIn() throws Exception {
        String first;
        Path token = dir.resolve("depot/web/token");
        try (Daemon d = Daemon.start(config(Optional.of(new WebSettings("127.0.0.1:0", Optional.empty()))));
             HttpClient http = HttpClient.newHttpClient()) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(token))).isEqualTo("rw-------");
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(token.getParent()))).isEqualTo("rwx------");
            first = Files.readString(token).strip();
            String base = "http://127.0.0.1:" + d.webPort().getAsInt();
            HttpResponse<String> login = http.send(HttpRequest.newBuilder(URI.create(base + "/login?token=" + first)).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(login.statusCode()).isEqualTo(200);
            String cookie = login.headers().firstValue("set-cookie").orElseThrow().split(";")[0];
            HttpResponse<String> list = http.send(HttpRequest.newBuilder(URI.create(base + "/api/environments"))
                    .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(list.statusCode()).isEqualTo(404); // no proxy configured: no route
            HttpResponse<String> containers = http.send(HttpRequest.newBuilder(URI.create(base + "/api/containers"))
                    .header("Cookie", cookie).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(containers.body()).isEqualTo("[]");
        }
        try (Daemon d = Daemon.start(config(Optional.of(new WebSettings("127.0.0.1:0", Optional.empty()))))) {
            assertThat(Files.readString(token).strip()).isNotEqualTo(first).hasSize(64);
        }
    }
}
