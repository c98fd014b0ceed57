package dev.cloche.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI's access options: the token reaches the server, and TLS options are checked before any connection. */
class CliAccessTest {
    private static final String TOKEN = "cli-token-0123456789abcdef";

    @TempDir
    Path dir;
    private StandInGarden garden;

    record Run(int exit, String err) {}

    @AfterEach
    void stop() throws Exception {
        if (garden != null) {
            garden.close();
        }
    }

    private Run cloche(String... args) {
        PrintStream err = System.err;
        PrintStream out = System.out;
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return new Run(Cloche.run(args), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setErr(err);
            System.setOut(out);
        }
    }

    @Test
    void theTokenFromAFileGoesWithTheRequest() throws Exception {
        garden = new StandInGarden(dir.resolve("g.sock"), r -> StandInGarden.json("{}"));
        Path file = Files.writeString(dir.resolve("token"), TOKEN + "\n");

        Run r = cloche("--socket", garden.socket().toString(), "--token-file", file.toString(), "ping");

        assertThat(r.exit()).isZero();
        assertThat(garden.requests()).singleElement()
                .satisfies(q -> assertThat(q.head()).contains("\r\nAuthorization: Bearer " + TOKEN));
    }

    @Test
    void noTokenNoHeader() throws Exception {
        garden = new StandInGarden(dir.resolve("g.sock"), r -> StandInGarden.json("{}"));

        assertThat(cloche("--socket", garden.socket().toString(), "ping").exit()).isZero();
        assertThat(garden.requests()).singleElement()
                .satisfies(q -> assertThat(q.head()).doesNotContainIgnoringCase("authorization"));
    }

    @Test
    void aRefusalSaysWhatIsMissing() throws Exception {
        garden = new StandInGarden(dir.resolve("g.sock"), r -> "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n"
                + "Content-Length: 13\r\nConnection: close\r\n\r\nunauthorized\n");

        Run r = cloche("--socket", garden.socket().toString(), "ping");

        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("401").contains("--token");
    }

    @Test
    void tlsOptionsAreForTcpAndGoTogether() {
        Path sock = dir.resolve("none.sock");
        assertThat(cloche("--socket", sock.toString(), "--tls-ca", "/ca.pem", "ping").err()).contains("--target");
        assertThat(cloche("--target", "127.0.0.1:1", "--cert", "/c.pem", "ping").err()).contains("--cert and --key");
        assertThat(cloche("--target", "127.0.0.1:1", "--token", TOKEN, "--token-file", "/t", "ping").err())
                .contains("not both");
    }

    @Test
    void theAccessOptionsDoNotDefeatTheOneVerbShortcut() {
        assertThat(Cloche.verbIn("--target", "h:1", "--tls-ca", "/ca.pem", "--cert", "/c", "--key", "/k", "ping"))
                .isEqualTo("ping");
        assertThat(Cloche.verbIn("--token-file=/t", "list")).isEqualTo("list");
    }
}
