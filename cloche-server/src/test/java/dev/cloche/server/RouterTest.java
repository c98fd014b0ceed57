package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.PortLayer;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.wire.ErrorCodec;
import dev.cloche.wire.Route;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The two route tables and what each request needs from its connection, without Netty. */
class RouterTest {
    private final ContainerManager core = ContainerManager.start(new FakeBackend(), CoreConfig.DEFAULTS);
    private final Router garden = new Router(new GardenEndpoint(core), Optional.empty());
    /** The port layer's calls, as "method arg0 ..." (a stand-in that answers just enough for these routes). */
    private final List<String> portLayerCalls = new CopyOnWriteArrayList<>();
    private final Router both = new Router(new GardenEndpoint(core), Optional.of(new PortLayerEndpoint(recordingPortLayer())));

    @AfterEach
    void close() {
        core.close();
    }

    private PortLayer recordingPortLayer() {
        return (PortLayer) Proxy.newProxyInstance(PortLayer.class.getClassLoader(), new Class<?>[] {PortLayer.class},
                (proxy, method, args) -> {
                    portLayerCalls.add(method.getName() + " " + (args == null ? List.of() : List.of(args)));
                    return switch (method.getName()) {
                        case "containers" -> List.of("web");
                        case "commit" -> new PortLayer.Committed(((PortLayer.Handle) args[0]).id(), 8);
                        default -> throw new UnsupportedOperationException(method.getName());
                    };
                });
    }

    private static Optional<String> noHeader(String name) {
        return Optional.empty();
    }

    @Test
    void jsonRoutesAreCallsNamedByTheirRoute() {
        Router.Routed r = garden.route("GET", "/ping", RouterTest::noHeader);
        assertThat(r).isInstanceOf(Router.Call.class);
        assertThat(r.route()).isEqualTo("PING");
        assertThat(((Router.Call) r).call().apply("").body()).isEqualTo("{}\n");
    }

    @Test
    void theQueryReachesTheCall() {
        core.create(dev.cloche.api.ContainerSpec.withHandle("a").withProperties(Map.of("k", "v w")));
        core.create(dev.cloche.api.ContainerSpec.withHandle("b"));
        Router.Call list = (Router.Call) garden.route("GET", "/containers?k=v+w", RouterTest::noHeader);
        assertThat(list.call().apply("").body()).isEqualTo("{\"Handles\":[\"a\"]}\n");
    }

    @Test
    void filesProcessesAndStreamsNeedMoreThanABody() {
        assertThat(garden.route("PUT", "/containers/h/files?destination=/x", RouterTest::noHeader))
                .isInstanceOfSatisfying(Router.Upload.class, u -> assertThat(u.route()).isEqualTo("STREAM_IN"));
        assertThat(garden.route("GET", "/containers/h/files?source=/x", RouterTest::noHeader))
                .isInstanceOfSatisfying(Router.Download.class, d -> assertThat(d.route()).isEqualTo("STREAM_OUT"));
        for (String[] hijacked : new String[][] {{"POST", "/containers/h/processes", "RUN"},
                {"GET", "/containers/h/processes/p", "ATTACH"},
                {"GET", "/containers/h/processes/p/attaches/1/stdout", "STDOUT"},
                {"GET", "/containers/h/processes/p/attaches/1/stderr", "STDERR"}}) {
            assertThat(garden.route(hijacked[0], hijacked[1], RouterTest::noHeader))
                    .isInstanceOfSatisfying(Router.Hijack.class, h -> {
                        assertThat(h.route()).isEqualTo(hijacked[2]);
                        assertThat(h.found().route()).isEqualTo(Route.valueOf(hijacked[2]));
                        assertThat(h.found().param("handle")).isEqualTo("h");
                    });
        }
    }

    @Test
    void unknownPathsAndMethodsAreGoRouterAnswersThatKeepTheConnection() {
        assertThat(garden.route("GET", "/nope", RouterTest::noHeader)).isEqualTo(
                new Router.Reject("-", new Answer(404, Answer.TEXT, Map.of(), "404 page not found\n"), false));
        assertThat(garden.route("PATCH", "/containers/h/info", RouterTest::noHeader)).isEqualTo(
                new Router.Reject("-", new Answer(405, Answer.TEXT, Map.of("Allow", "GET"), "Method Not Allowed\n"), false));
    }

    @Test
    void aMalformedQueryIsA400ThatClosesTheConnection() {
        Router.Reject r = (Router.Reject) garden.route("GET", "/containers?x=%zz", RouterTest::noHeader);
        assertThat(r.close()).isTrue();
        assertThat(r.answer().status()).isEqualTo(400);
        assertThat(r.answer().headers()).containsEntry(ErrorCodec.KIND_HEADER, "INVALID_REQUEST");
    }

    @Test
    void withoutAPortLayerItsPathsAreGardenPathsThatDoNotExist() {
        assertThat(garden.route("GET", "/portlayer/containers", RouterTest::noHeader))
                .isInstanceOfSatisfying(Router.Reject.class, r -> assertThat(r.answer().status()).isEqualTo(404));
        assertThat(portLayerCalls).isEmpty();
    }

    @Test
    void thePortLayerIsMountedBesideGardensTable() {
        Router.Call list = (Router.Call) both.route("GET", "/portlayer/containers", RouterTest::noHeader);
        assertThat(list.route()).isEqualTo("PORTLAYER_LIST");
        assertThat(list.call().apply("").body()).isEqualTo("{\"containers\":[\"web\"]}\n");
        assertThat(both.route("GET", "/ping", RouterTest::noHeader).route()).isEqualTo("PING");
        assertThat(both.route("GET", "/portlayer/nope", RouterTest::noHeader))
                .isInstanceOfSatisfying(Router.Reject.class, r -> assertThat(r.answer().status()).isEqualTo(404));
        assertThat(both.route("POST", "/portlayer/containers", RouterTest::noHeader))
                .isInstanceOfSatisfying(Router.Reject.class, r -> {
                    assertThat(r.answer().status()).isEqualTo(405);
                    assertThat(r.answer().headers()).containsEntry("Allow", "GET");
                });
    }

    @Test
    void aCommitTakesItsVersionFromIfMatchAndAnswersTheNewOneAsETag() {
        Router.Call commit = (Router.Call) both.route("PUT", "/portlayer/containers/web",
                name -> name.equals("If-Match") ? Optional.of("\"7\"") : Optional.empty());
        Answer answer = commit.call().apply("");
        assertThat(answer.headers()).containsEntry("ETag", "\"8\"");
        assertThat(portLayerCalls).singleElement().asString().startsWith("commit ");
        Router.Call unversioned = (Router.Call) both.route("PUT", "/portlayer/containers/web", RouterTest::noHeader);
        assertThatThrownBy(() -> unversioned.call().apply("")).isInstanceOf(InvalidRequestException.class);
    }
}
