package dev.cloche.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code cloche events} against a stand-in daemon: the query it sends and the lines it prints. */
class EventsVerbTest {
    private static final String CREATED = "{\"seq\":3,\"time\":\"2026-12-05T11:00:00Z\",\"type\":\"container-created\","
            + "\"handle\":\"web\",\"request\":\"00000000000000aa\",\"properties\":{\"app\":\"shop\"}}";
    private static final String EXITED = "{\"seq\":5,\"time\":\"2026-12-05T11:00:01Z\",\"type\":\"process-exited\","
            + "\"handle\":\"web\",\"request\":\"00000000000000bb\",\"process\":\"p1\",\"exit_status\":137}";
    private static final String LOST = "{\"seq\":5,\"time\":\"2026-12-05T11:00:02Z\",\"type\":\"lost\",\"request\":\"-\","
            + "\"details\":{\"from\":\"6\"}}";

    @TempDir
    Path dir;
    private StandInGarden garden;

    record Run(int exit, String out, String err) {}

    @AfterEach
    void stop() throws Exception {
        if (garden != null) {
            garden.close();
        }
    }

    private void serve(Function<StandInGarden.Request, String> answer) throws Exception {
        garden = new StandInGarden(dir.resolve("garden.sock"), answer);
    }

    private Run cloche(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            String[] all = new String[args.length + 2];
            all[0] = "--socket";
            all[1] = dir.resolve("garden.sock").toString();
            System.arraycopy(args, 0, all, 2, args.length);
            return new Run(Cloche.run(all), o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void followsTheStreamOneLinePerEventWithTheFiltersInTheQuery() throws Exception {
        serve(r -> StandInGarden.records(List.of(CREATED + "\n", EXITED + "\n")));
        Run r = cloche("events", "--handle", "web", "-p", "app=shop", "--since", "2");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo("2026-12-05T11:00:00Z 3 container-created web request=00000000000000aa\n"
                + "2026-12-05T11:00:01Z 5 process-exited web process=p1 exit=137 request=00000000000000bb\n");
        StandInGarden.Request sent = garden.requests().getFirst();
        assertThat(sent.method()).isEqualTo("GET");
        assertThat(sent.path()).isEqualTo("/events?handle=web&property=app%3Dshop&since=2");
    }

    @Test
    void jsonCountAndACutStream() throws Exception {
        serve(r -> StandInGarden.records(List.of(CREATED + "\n", EXITED + "\n", LOST + "\n")));
        Run one = cloche("events", "--json", "-n", "1");
        assertThat(one.exit()).isZero();
        assertThat(one.out()).isEqualTo(CREATED + "\n");
        Run cut = cloche("events");
        assertThat(cut.exit()).isEqualTo(1);
        assertThat(cut.out()).endsWith("5 lost from=6 request=-\n");
        assertThat(cut.err()).contains("resume with --since 5");
    }

    @Test
    void aBadSinceIsAUsageErrorAndAServerWithoutEventsSaysSo() throws Exception {
        serve(r -> "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 19\r\n"
                + "Connection: close\r\n\r\n404 page not found\n");
        Run bad = cloche("events", "--since", "yesterday");
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("sequence number or an ISO-8601 time");
        Run none = cloche("events");
        assertThat(none.exit()).isEqualTo(1);
        assertThat(none.err()).contains("serves no events");
    }
}
