package dev.cloche.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.testkit.FakeImages;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Login, the session gate, CSRF and the JSON routes, without a browser or a socket: over the real core and the fake backend. */
class WebRouterTest {
    private static final String TOKEN = "0123456789abcdef0123456789abcdef";

    private final FakeBackend backend = new FakeBackend();
    private final ContainerManager core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
    private final List<String> ended = new CopyOnWriteArrayList<>();
    private final WebRouter router = new WebRouter(new WebSessions(TOKEN, Duration.ofHours(1), Clock.systemUTC()), core,
            Optional.empty(), Optional.of(new ProxyEnvironmentsView() {
                @Override
                public List<Environment> environments() {
                    return List.of(new Environment("e1", "http://127.0.0.1:8080/demo/e1/", Instant.parse("2030-01-01T00:00:00Z"), 7));
                }

                @Override
                public void end(String id) {
                    ended.add(id);
                }
            }));

    @AfterEach
    void close() {
        core.close();
    }

    private record Login(String cookie, String csrf) {
    }

    private Login login() {
        WebAnswer a = router.handle(request("GET", "/login", Map.of("token", List.of(TOKEN)), Map.of(), ""), false);
        assertThat(a.status()).isEqualTo(200);
        String setCookie = a.headers().get("Set-Cookie");
        assertThat(setCookie).contains("HttpOnly").contains("SameSite=Strict").doesNotContain("Secure");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        WebAnswer.Full s = (WebAnswer.Full) router.handle(request("GET", "/api/session", Map.of(), Map.of("cookie", cookie), ""), false);
        assertThat(s.status()).isEqualTo(200);
        String csrf = s.text().replaceAll(".*\"csrfToken\":\"([0-9a-f]+)\".*", "$1");
        assertThat(csrf).hasSize(64);
        return new Login(cookie, csrf);
    }

    private static WebRequest request(String method, String path, Map<String, List<String>> query, Map<String, String> headers, String body) {
        return new WebRequest(method, path, query, headers, body.getBytes(StandardCharsets.UTF_8));
    }

    private WebAnswer.Full call(Login l, String method, String path, String body) {
        Map<String, String> h = new HashMap<>(Map.of("cookie", "other=1; " + l.cookie()));
        if (!method.equals("GET")) {
            h.put("x-csrf-token", l.csrf());
        }
        return (WebAnswer.Full) router.handle(request(method, path, Map.of(), h, body), false);
    }

    @Test
    void aWrongOrMissingTokenGetsNoSessionAndNothingIsReachableWithoutOne() {
        assertThat(router.handle(request("GET", "/login", Map.of("token", List.of(TOKEN + "x")), Map.of(), ""), false).status()).isEqualTo(401);
        assertThat(router.handle(request("GET", "/login", Map.of(), Map.of(), ""), false).headers()).doesNotContainKey("Set-Cookie");
        for (String path : List.of("/", "/app.js", "/vendor/xterm.js", "/api/containers", "/api/session")) {
            assertThat(router.handle(request("GET", path, Map.of(), Map.of("cookie", "cloche_session=guess"), ""), false).status())
                    .as(path).isEqualTo(401);
        }
        WebAnswer.Full api = (WebAnswer.Full) router.handle(request("GET", "/api/containers", Map.of(), Map.of(), ""), false);
        assertThat(api.contentType()).startsWith("application/json");
        assertThat(api.text()).contains("\"kind\":\"UNAUTHENTICATED\"");
    }

    @Test
    void overTlsTheCookieIsSecure() {
        WebAnswer a = router.handle(request("GET", "/login", Map.of("token", List.of(TOKEN)), Map.of(), ""), true);
        assertThat(a.headers().get("Set-Cookie")).endsWith("; Secure");
    }

    @Test
    void everyStateChangeNeedsTheSessionsCsrfToken() {
        Login l = login();
        for (String header : List.of("", "wrong", l.csrf().substring(1))) {
            Map<String, String> h = header.isEmpty() ? Map.of("cookie", l.cookie()) : Map.of("cookie", l.cookie(), "x-csrf-token", header);
            WebAnswer.Full a = (WebAnswer.Full) router.handle(request("POST", "/api/containers", Map.of(), h, "{\"handle\":\"x\"}"), false);
            assertThat(a.status()).isEqualTo(403);
            assertThat(a.text()).contains("CSRF");
        }
        assertThat(core.containers(Map.of())).isEmpty();
        assertThat(call(l, "POST", "/api/containers", "{\"handle\":\"x\"}").status()).isEqualTo(201);
    }

    @Test
    void createsListsFiltersAndDestroysContainers() {
        Login l = login();
        WebAnswer.Full made = call(l, "POST", "/api/containers",
                "{\"handle\":\"web-1\",\"memoryMb\":\"64\",\"cpuWeight\":100,\"pidMax\":50,\"properties\":{\"app\":\"a\"}}");
        assertThat(made.status()).isEqualTo(201);
        assertThat(made.text()).isEqualTo("{\"handle\":\"web-1\"}");
        call(l, "POST", "/api/containers", "{\"handle\":\"web-2\",\"properties\":{\"app\":\"b\"}}");
        assertThat(core.lookup("web-1").currentMemoryLimits().limitInBytes()).isEqualTo(64L << 20);

        String all = call(l, "GET", "/api/containers", "").text();
        assertThat(all).contains("\"handle\":\"web-1\"").contains("\"handle\":\"web-2\"").contains("\"state\":\"active\"");
        WebAnswer.Full filtered = (WebAnswer.Full) router.handle(request("GET", "/api/containers",
                Map.of("property", List.of("app=b")), Map.of("cookie", l.cookie()), ""), false);
        assertThat(filtered.text()).contains("web-2").doesNotContain("web-1");

        assertThat(call(l, "DELETE", "/api/containers/web-1", "").status()).isEqualTo(204);
        assertThat(core.containers(Map.of())).hasSize(1);
    }

    @Test
    void eachContainerShowsTheImageItWasMadeFrom() {
        WebRouter withImages = new WebRouter(new WebSessions(TOKEN, Duration.ofHours(1), Clock.systemUTC()), core,
                Optional.empty(), Optional.empty(), Optional.empty(), Optional.of(core));
        WebAnswer a = withImages.handle(request("GET", "/login", Map.of("token", List.of(TOKEN)), Map.of(), ""), false);
        String cookie = a.headers().get("Set-Cookie").substring(0, a.headers().get("Set-Cookie").indexOf(';'));
        WebAnswer.Full s = (WebAnswer.Full) withImages.handle(request("GET", "/api/session", Map.of(), Map.of("cookie", cookie), ""), false);
        Map<String, String> h = Map.of("cookie", cookie, "x-csrf-token", s.text().replaceAll(".*\"csrfToken\":\"([0-9a-f]+)\".*", "$1"));
        assertThat(withImages.handle(request("POST", "/api/containers", Map.of(), h,
                "{\"handle\":\"from-image\",\"image\":\"" + FakeImages.BUSYBOX + "\"}"), false).status()).isEqualTo(201);
        assertThat(withImages.handle(request("POST", "/api/containers", Map.of(), h, "{\"handle\":\"plain\"}"), false).status())
                .isEqualTo(201);
        String list = ((WebAnswer.Full) withImages.handle(request("GET", "/api/containers", Map.of(), h, ""), false)).text();
        String reference = core.images().getFirst().reference();
        assertThat(reference).contains("fake/busybox");
        assertThat(list).contains("\"handle\":\"from-image\",\"state\":\"active\",\"image\":\"" + reference + "\"")
                .contains("\"handle\":\"plain\",\"state\":\"active\",\"image\":\"\"");
    }

    @Test
    void badInputIsATypedJsonErrorAndChangesNothing() {
        Login l = login();
        assertThat(call(l, "POST", "/api/containers", "not json").text()).contains("\"kind\":\"INVALID_REQUEST\"");
        assertThat(call(l, "POST", "/api/containers", "{\"memoryMb\":-1}").status()).isEqualTo(400);
        assertThat(call(l, "POST", "/api/containers", "{\"memoryMb\":\"lots\"}").status()).isEqualTo(400);
        assertThat(call(l, "POST", "/api/containers", "{\"properties\":[1]}").status()).isEqualTo(400);
        assertThat(core.containers(Map.of())).isEmpty();
        WebAnswer.Full missing = call(l, "DELETE", "/api/containers/nope", "");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.text()).contains("\"kind\":\"CONTAINER_NOT_FOUND\"");
        call(l, "POST", "/api/containers", "{\"handle\":\"dup\"}");
        assertThat(call(l, "POST", "/api/containers", "{\"handle\":\"dup\"}").status()).isEqualTo(409);
        assertThat(call(l, "PUT", "/api/containers", "").status()).isEqualTo(405);
        assertThat(call(l, "GET", "/etc/passwd", "").status()).isEqualTo(404);
    }

    @Test
    void uploadsAFileThroughStreamIn() {
        Login l = login();
        call(l, "POST", "/api/containers", "{\"handle\":\"f\"}");
        Map<String, String> h = Map.of("cookie", l.cookie(), "x-csrf-token", l.csrf());
        WebAnswer up = router.handle(request("POST", "/api/containers/f/files",
                Map.of("dir", List.of("/tmp"), "name", List.of("hello.txt")), h, "hello\n"), false);
        assertThat(up.status()).isEqualTo(204);
        assertThat(backend.container("f").file("/tmp/hello.txt")).hasValueSatisfying(
                b -> assertThat(new String(b, StandardCharsets.UTF_8)).isEqualTo("hello\n"));
        WebAnswer bad = router.handle(request("POST", "/api/containers/f/files",
                Map.of("dir", List.of("/tmp"), "name", List.of("../x")), h, "x"), false);
        assertThat(bad.status()).isEqualTo(400);
    }

    @Test
    void listsAndEndsProxyEnvironments() {
        Login l = login();
        assertThat(call(l, "GET", "/api/environments", "").text())
                .contains("\"id\":\"e1\"").contains("\"requestsServed\":7").contains("2030-01-01T00:00:00Z");
        assertThat(call(l, "DELETE", "/api/environments/e1", "").status()).isEqualTo(204);
        assertThat(ended).containsExactly("e1");
        assertThat(call(l, "GET", "/api/tasks", "").status()).isEqualTo(404); // no console: no route
    }

    @Test
    void aSessionExpiresAndLogoutEndsIt() {
        java.util.concurrent.atomic.AtomicReference<Instant> now = new java.util.concurrent.atomic.AtomicReference<>(Instant.parse("2030-01-01T00:00:00Z"));
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        WebSessions s = new WebSessions(TOKEN, Duration.ofHours(1), clock);
        WebSessions.Session session = s.login(TOKEN).orElseThrow();
        assertThat(s.fromCookieHeader("a=b; cloche_session=" + session.id())).contains(session);
        now.set(now.get().plus(Duration.ofMinutes(61)));
        assertThat(s.fromCookieHeader("cloche_session=" + session.id())).isEmpty();

        Login l = login();
        assertThat(call(l, "POST", "/api/logout", "").headers().get("Set-Cookie")).contains("Max-Age=0");
        assertThat(call(l, "GET", "/api/containers", "").status()).isEqualTo(401);
    }

    @Test
    void listsAndEndsConsoleTasksWhenTheConsoleRuns() {
        List<String> stopped = new CopyOnWriteArrayList<>();
        WebRouter withTasks = new WebRouter(new WebSessions(TOKEN, Duration.ofHours(1), Clock.systemUTC()), core,
                Optional.of(new ConsoleTasksView() {
                    @Override
                    public List<Task> tasks() {
                        return List.of(new Task("t-1", "agent-a", 2, 5L << 20));
                    }

                    @Override
                    public void end(String id) {
                        if (!id.equals("t-1")) {
                            throw new dev.cloche.api.InvalidRequestException("no task '" + id + "'");
                        }
                        stopped.add(id);
                    }
                }), Optional.empty());
        WebSessions.Session s = withTasks.sessions().login(TOKEN).orElseThrow();
        Map<String, String> h = Map.of("cookie", WebSessions.COOKIE + "=" + s.id(), "x-csrf-token", s.csrfToken());
        assertThat(((WebAnswer.Full) withTasks.handle(request("GET", "/api/tasks", Map.of(), h, ""), false)).text())
                .isEqualTo("[{\"id\":\"t-1\",\"agent\":\"agent-a\",\"sessions\":2,\"memoryBytes\":5242880}]");
        assertThat(withTasks.handle(request("DELETE", "/api/tasks/t-2", Map.of(), h, ""), false).status()).isEqualTo(400);
        assertThat(withTasks.handle(request("DELETE", "/api/tasks/t-1", Map.of(), Map.of("cookie", h.get("cookie")), ""), false).status())
                .isEqualTo(403);
        assertThat(stopped).isEmpty();
        assertThat(withTasks.handle(request("DELETE", "/api/tasks/t-1", Map.of(), h, ""), false).status()).isEqualTo(204);
        assertThat(stopped).containsExactly("t-1");
        assertThat(withTasks.handle(request("GET", "/api/environments", Map.of(), h, ""), false).status()).isEqualTo(404);
    }

    @Test
    void listsThePortLayersContainersWithTheirVersions() {
        dev.cloche.api.PortLayer pl = new dev.cloche.api.PortLayer() {
            @Override public Handle createContainer(String name) { throw new UnsupportedOperationException(); }
            @Override public Handle getHandle(String id) { throw new UnsupportedOperationException(); }
            @Override public Committed commit(Handle handle) { throw new UnsupportedOperationException(); }
            @Override public void destroyContainer(String id) { throw new UnsupportedOperationException(); }
            @Override public List<String> containers(Optional<RunState> state) { return List.of("b", "a", "gone"); }
            @Override public Config config(String id) {
                if (id.equals("gone")) throw new dev.cloche.api.ContainerNotFoundException(id);
                return new Config(id, id.equals("a") ? 3 : 1, "/", Optional.of(new EntryPoint("", "/bin/sleep", List.of("9"))),
                        64L << 20, 0, Map.of(), List.of(), List.of());
            }
            @Override public State state(String id) { return new State(id, RunState.RUNNING, new ProcessState(id, ProcessStatus.RUNNING, java.util.OptionalLong.empty(), java.util.OptionalInt.empty(), Optional.empty(), Optional.empty()), List.of()); }
            @Override public FileContent copyOut(String id, String path) { throw new UnsupportedOperationException(); }
            @Override public String execProcess(String id, String dir, String path, List<String> args) { throw new UnsupportedOperationException(); }
            @Override public void signal(String processId, dev.cloche.api.Signal signal) { throw new UnsupportedOperationException(); }
        };
        WebRouter withPortLayer = new WebRouter(new WebSessions(TOKEN, Duration.ofHours(1), Clock.systemUTC()), core,
                Optional.empty(), Optional.empty(), Optional.of(pl));
        WebSessions.Session s = withPortLayer.sessions().login(TOKEN).orElseThrow();
        WebAnswer.Full a = (WebAnswer.Full) withPortLayer.handle(request("GET", "/api/portlayer", Map.of(),
                Map.of("cookie", WebSessions.COOKIE + "=" + s.id()), ""), false);
        assertThat(a.text()).isEqualTo("[{\"id\":\"a\",\"version\":3,\"runState\":\"running\",\"entryPoint\":\"/bin/sleep\",\"execs\":0,\"memoryLimit\":67108864},"
                + "{\"id\":\"b\",\"version\":1,\"runState\":\"running\",\"entryPoint\":\"/bin/sleep\",\"execs\":0,\"memoryLimit\":67108864}]");
    }
}
