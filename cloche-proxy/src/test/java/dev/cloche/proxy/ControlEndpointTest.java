package dev.cloche.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfo;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenException;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ResourceExhaustedException;
import dev.cloche.core.ContainerManager;
import dev.cloche.core.CoreConfig;
import dev.cloche.testkit.FakeBackend;
import dev.cloche.wire.ErrorCodec;
import java.lang.reflect.InvocationTargetException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy's API without Netty or sockets: routes, then the endpoint over the core and the fake backend, whose
 * processes are scripted ({@code sleep} serves until destroyed, {@code emit} exits, a path with "missing" is not
 * found). The port probe says "accepting" for every port but {@link #DEAF}.
 */
class ControlEndpointTest {
    private static final String BASE = "http://proxy.example:8080";
    private static final int DEAF = 9999;
    /** The port of the "slow" template: its server passes its readiness check once {@link #slowReady} is set. */
    private static final int SLOW = 9998;
    private volatile boolean slowReady;
    private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]+)\"");

    private final FakeBackend backend = new FakeBackend();
    private GardenClient core;
    private Environments envs;
    private ProxyConfig config;
    private ControlEndpoint endpoint;
    /** Thrown by the next create before it reaches the core: a failure that is no GardenException. */
    private RuntimeException nextCreateFailure;

    @BeforeEach
    void setUp() {
        core = ContainerManager.start(backend, CoreConfig.DEFAULTS);
        Template serves = Template.DEFAULT.withName("web").withCommand(List.of("sleep")).withMaxLive(1)
                .withReadyTimeout(Duration.ofMillis(300));
        config = ProxyConfig.of(new InetSocketAddress("127.0.0.1", 0), List.of(serves,
                serves.withName("other").withMaxLive(5),
                serves.withName("exits").withCommand(List.of("emit", "", "boom", "3")).withPort(DEAF), // never "accepting"
                serves.withName("deaf").withPort(DEAF),
                serves.withName("nocmd").withCommand(List.of("/bin/missing")),
                serves.withName("slow").withPort(SLOW).withReadyTimeout(Duration.ofSeconds(20)),
                serves.withName("idle").withMaxLive(3).withLifetime(new Lifetime.Idle(Duration.ofMillis(400), Duration.ofMillis(2500))),
                serves.withName("warm").withMaxLive(3).withWarm(2)));
        envs = new Environments(addressed(core), config,
                (host, check) -> check.port() != DEAF && (check.port() != SLOW || slowReady), Clock.systemUTC());
        endpoint = new ControlEndpoint(envs);
    }

    @AfterEach
    void tearDown() {
        envs.close();
        core.close();
    }

    @Test
    void routesAreDecidedByMethodAndTarget() {
        assertThat(ProxyRoute.match("POST", "/demo/new")).isEqualTo(new ProxyRoute.Create(Optional.empty(), false));
        assertThat(ProxyRoute.match("PUT", "/demo/new?template=")).isEqualTo(new ProxyRoute.Create(Optional.empty(), false));
        assertThat(ProxyRoute.match("GET", "/demo/new?x=1&template=w%20b")).isEqualTo(new ProxyRoute.Create(Optional.of("w b"), true));
        assertThat(ProxyRoute.match("GET", "/demo")).isEqualTo(new ProxyRoute.ListAll());
        assertThat(ProxyRoute.match("POST", "/demo/?x")).isEqualTo(new ProxyRoute.ListAll());
        assertThat(ProxyRoute.match("GET", "/demo/3f2a")).isEqualTo(new ProxyRoute.Describe("3f2a"));
        assertThat(ProxyRoute.match("DELETE", "/demo/3f2a")).isEqualTo(new ProxyRoute.End("3f2a"));
        assertThat(ProxyRoute.match("DELETE", "/demo/3f2a/")).isEqualTo(new ProxyRoute.Relay("3f2a", "/"));
        assertThat(ProxyRoute.match("GET", "/demo/3f2a/a/b?q=1&r")).isEqualTo(new ProxyRoute.Relay("3f2a", "/a/b?q=1&r"));
        assertThat(ProxyRoute.match("GET", "/demo/NOPE/x")).isEqualTo(new ProxyRoute.NoSuchPath("/demo/NOPE/x"));
        assertThat(ProxyRoute.match("GET", "/index.html?x=1")).isEqualTo(new ProxyRoute.NoSuchPath("/index.html"));
    }

    @Test
    void createDescribeListAndEnd() {
        Answer made = endpoint.handle(new ProxyRoute.Create(Optional.empty(), false), BASE);
        assertThat(made.status()).as(made.body()).isEqualTo(201);
        assertThat(made.contentType()).isEqualTo("application/json");
        String id = id(made);
        assertThat(made.headers()).containsEntry("location", "/demo/" + id + "/");
        Environment e = ((Environments.Lookup.Live) envs.lookup(id)).env();
        String json = "{\"id\":\"" + id + "\",\"template\":\"web\",\"url\":\"" + BASE + "/demo/" + id + "/\",\"created\":\""
                + e.created() + "\",\"expires\":\"" + e.expires() + "\",\"ready\":true}\n";
        assertThat(made.body()).isEqualTo(json);
        assertThat(e.host()).isEqualTo("10.9.0.2");
        assertThat(endpoint.handle(new ProxyRoute.Describe(id), BASE)).isEqualTo(new Answer(200, "application/json", json, Map.of()));

        Answer browser = endpoint.handle(new ProxyRoute.Create(Optional.of("other"), true), BASE);
        assertThat(browser.status()).isEqualTo(303);
        String other = browser.headers().get("location").replaceAll("/demo/([0-9a-f]+)/", "$1");
        assertThat(browser.body()).isEqualTo("see /demo/" + other + "/\n");
        Answer list = endpoint.handle(new ProxyRoute.ListAll(), BASE);
        assertThat(list.status()).isEqualTo(200);
        assertThat(list.body()).startsWith("[").endsWith("]\n").contains(json.strip(), "{\"id\":\"" + other + "\",\"template\":\"other\"");

        assertThat(endpoint.handle(new ProxyRoute.End(id), BASE)).isEqualTo(new Answer(204, "text/plain", "", Map.of()));
        assertThat(backend.liveHandles()).containsExactly("proxy-" + other);
        assertThat(endpoint.handle(new ProxyRoute.End(id), BASE)).isEqualTo(Answer.text(410, "environment " + id + " has ended"));
        assertThat(endpoint.handle(new ProxyRoute.Describe(id), BASE).status()).isEqualTo(410);
        assertThat(endpoint.handle(new ProxyRoute.Describe("feed"), BASE)).isEqualTo(Answer.text(404, "no environment feed"));
        assertThat(endpoint.handle(new ProxyRoute.End("feed"), BASE).status()).isEqualTo(404);
        assertThat(endpoint.handle(new ProxyRoute.NoSuchPath("/x"), BASE))
                .isEqualTo(Answer.text(404, "not found: /x (try POST /demo/new)"));
    }

    @Test
    void aWarmTemplatesEnvironmentTakesAContainerMadeAheadAndAReplacementIsMade() throws Exception {
        Template warm = config.templates().get("warm");
        envs.restore(); // starts the pool
        awaitWarm(warm, 2);
        assertThat(backend.liveHandles()).hasSize(2).allMatch(h -> h.startsWith("proxy-warm-"));
        Answer made = create("warm");
        assertThat(made.status()).as(made.body()).isEqualTo(201);
        String id = id(made);
        Environment e = ((Environments.Lookup.Live) envs.lookup(id)).env();
        assertThat(e.handle()).startsWith("proxy-warm-");
        assertThat(e.host()).isEqualTo("10.9.0.2");
        // labelled as an environment (behind the answer), so that a restarted proxy adopts it instead of sweeping it
        long labelled = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!core.lookup(e.handle()).properties().containsKey("proxy.id") && System.nanoTime() < labelled) Thread.sleep(20);
        assertThat(core.lookup(e.handle()).properties()).containsEntry(Environments.MARK, "true").containsEntry("proxy.id", id)
                .containsEntry("proxy.template", "warm");
        awaitWarm(warm, 2);
        assertThat(backend.liveHandles()).hasSize(3);

        envs.close(); // the containers made ahead go, the environment stays
        assertThat(backend.liveHandles()).containsExactly(e.handle());
        try (Environments again = new Environments(addressed(core), config, (host, check) -> true, Clock.systemUTC())) {
            core.create(dev.cloche.api.ContainerSpec.withHandle("proxy-warm-stale").withProperties(Map.of(WarmPool.MARK, "true")));
            again.restore();
            assertThat(again.lookup(id)).isInstanceOf(Environments.Lookup.Live.class);
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (again.warmReady(warm) < 2 && System.nanoTime() < deadline) Thread.sleep(20);
            assertThat(again.warmReady(warm)).isEqualTo(2);
            assertThat(backend.liveHandles()).as("the stale one swept, two fresh").hasSize(3).doesNotContain("proxy-warm-stale")
                    .contains(e.handle());
        }
        envs = new Environments(addressed(core), config, (host, check) -> true, Clock.systemUTC()); // for tearDown
    }

    private void awaitWarm(Template t, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (envs.warmReady(t) < n && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(envs.warmReady(t)).isEqualTo(n);
    }

    @Test
    void theProxysOwnRefusalsKeepTheirStatuses() {
        Answer unknown = create("nope");
        assertThat(unknown.status()).isEqualTo(404);
        assertThat(unknown.body()).startsWith("unknown template: nope (known: [").contains("web", "deaf");
        assertThat(create("web").status()).isEqualTo(201);
        Answer full = create("web");
        assertThat(full.status()).isEqualTo(429);
        assertThat(full.body()).contains("template web has its maximum of 1 live environments");
        Answer exited = create("exits");
        assertThat(exited.status()).isEqualTo(502);
        assertThat(exited.body()).contains("exited with status 3", "boom");
        Answer deaf = create("deaf");
        assertThat(deaf.status()).isEqualTo(504);
        assertThat(deaf.body()).contains("did not pass its readiness check (TCP port " + DEAF + " accepting connections) within 300 ms",
                "the environment was removed");
        assertThat(full.headers()).doesNotContainKey(ErrorCodec.KIND_HEADER);
        assertThat(backend.liveHandles()).hasSize(1); // what never served is destroyed

        // a container without an address (the fake backend's own: no networking) cannot serve
        try (Environments plain = new Environments(core, ProxyConfig.of(new InetSocketAddress("127.0.0.1", 0),
                List.of(Template.DEFAULT.withCommand(List.of("sleep")))), (host, check) -> true, Clock.systemUTC())) {
            Answer none = new ControlEndpoint(plain).handle(new ProxyRoute.Create(Optional.empty(), false), BASE);
            assertThat(none.status()).isEqualTo(503);
            assertThat(none.body()).contains("has no network address");
        }
        assertThat(backend.liveHandles()).hasSize(1);
    }

    @Test
    void anEnvironmentIsStartingUntilItsServerPassesItsReadinessCheck() throws Exception {
        var creating = java.util.concurrent.CompletableFuture.supplyAsync(() -> create("slow"), Thread::startVirtualThread);
        Environment starting = awaitListed("slow");
        Environments.Lookup l = envs.lookup(starting.id());
        assertThat(l).isInstanceOf(Environments.Lookup.Starting.class);
        assertThat(endpoint.handle(new ProxyRoute.Describe(starting.id()), BASE).body()).contains("\"ready\":false");
        assertThat(Answer.missing(starting.id(), l).status()).isEqualTo(503);
        assertThat(Answer.missing(starting.id(), l).headers()).containsEntry("retry-after", "1");
        Thread.sleep(200);
        assertThat(creating).as("no answer before the check passes").isNotDone();
        slowReady = true;
        Answer made = creating.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(made.status()).as(made.body()).isEqualTo(201);
        assertThat(made.body()).contains("\"ready\":true");
        assertThat(((Environments.Lookup.Starting) l).ready().get(1, java.util.concurrent.TimeUnit.SECONDS).id()).isEqualTo(starting.id());
        assertThat(envs.lookup(starting.id())).isInstanceOf(Environments.Lookup.Live.class);
    }

    @Test
    void endingAnEnvironmentWhileItStartsFailsItsCreationAndItsWaiters() throws Exception {
        var creating = java.util.concurrent.CompletableFuture.supplyAsync(() -> create("slow"), Thread::startVirtualThread);
        Environment starting = awaitListed("slow");
        var ready = ((Environments.Lookup.Starting) envs.lookup(starting.id())).ready();
        assertThat(endpoint.handle(new ProxyRoute.End(starting.id()), BASE).status()).isEqualTo(204);
        assertThat(ready).isCompletedExceptionally();
        slowReady = true;
        Answer made = creating.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(made.status()).as(made.body()).isIn(410, 502); // ended, or its server seen gone first
        assertThat(envs.lookup(starting.id())).isInstanceOf(Environments.Lookup.Gone.class);
        assertThat(backend.liveHandles()).isEmpty();
    }

    @Test
    void anIdleLifetimeEndsAnUnusedEnvironmentKeepsAUsedOneAndStopsAtItsMaximum() throws Exception {
        String unused = id(create("idle"));
        String used = id(create("idle"));
        String held = id(create("idle"));
        Activity heldUse = envs.activity(held);
        heldUse.begin(); // a download or an open websocket: in use the whole time
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < 1_500_000_000L) {
            envs.activity(used).begin(); // a request every 100 ms
            envs.activity(used).end();
            Thread.sleep(100);
        }
        assertThat(envs.lookup(unused)).as("idle for 400 ms").isInstanceOf(Environments.Lookup.Gone.class);
        assertThat(envs.lookup(used)).isInstanceOf(Environments.Lookup.Live.class);
        assertThat(envs.lookup(held)).isInstanceOf(Environments.Lookup.Live.class);
        Thread.sleep(700);
        assertThat(envs.lookup(used)).as("unused for 700 ms").isInstanceOf(Environments.Lookup.Gone.class);
        assertThat(envs.lookup(held)).isInstanceOf(Environments.Lookup.Live.class);
        Thread.sleep(900); // 2.5 s after creation: the hard maximum, in use or not
        assertThat(envs.lookup(held)).isInstanceOf(Environments.Lookup.Gone.class);
        heldUse.end();
        assertThat(backend.liveHandles()).isEmpty();
    }

    private Environment awaitListed(String template) throws InterruptedException {
        for (int i = 0; i < 500; i++) {
            Optional<Environment> e = envs.list().stream().filter(x -> x.template().equals(template)).findFirst();
            if (e.isPresent()) return e.get();
            Thread.sleep(10);
        }
        throw new AssertionError("no " + template + " environment listed");
    }

    @Test
    void errorsOfTheCoreGetTheStatusOfTheirKindFromErrorCodec() {
        expectCoreError(new ResourceExhaustedException("no subnet left"), 503, GardenException.Kind.RESOURCE_EXHAUSTED);
        expectCoreError(new InvalidRequestException("bad limits"), 400, GardenException.Kind.INVALID_REQUEST);
        expectCoreError(new AlreadyExistsException("Handle 'x' already in use"), 409, GardenException.Kind.ALREADY_EXISTS);
        expectCoreError(new IllegalStateException("disk on fire"), 500, GardenException.Kind.INTERNAL); // the core makes it internal

        Answer notFound = create("nocmd"); // the container was made, its server cannot start
        assertThat(notFound.status()).isEqualTo(500);
        assertThat(notFound.headers()).containsEntry(ErrorCodec.KIND_HEADER, "EXECUTABLE_NOT_FOUND");
        assertThat(notFound.body()).startsWith("cannot create environment: ").contains("/bin/missing");
        assertThat(backend.liveHandles()).isEmpty();

        nextCreateFailure = new IllegalArgumentException("a bug");
        Answer bug = create("web");
        assertThat(bug).isEqualTo(Answer.text(500, "internal error: a bug").with(ErrorCodec.KIND_HEADER, "INTERNAL"));
        assertThat(create("web").status()).as("a failed create holds no place of the template's maximum").isEqualTo(201);
    }

    private void expectCoreError(RuntimeException failure, int status, GardenException.Kind kind) {
        backend.failNextCreate(failure);
        Answer a = create("web");
        assertThat(a.status()).as(a.body()).isEqualTo(status).isEqualTo(ErrorCodec.status(kind));
        assertThat(a.headers()).containsEntry(ErrorCodec.KIND_HEADER, kind.name());
        assertThat(a.contentType()).startsWith("text/plain");
        assertThat(a.body()).startsWith("cannot create environment: ").contains(failure.getMessage());
    }

    private Answer create(String template) {
        return endpoint.handle(new ProxyRoute.Create(Optional.of(template), false), BASE);
    }

    private static String id(Answer a) {
        Matcher m = ID.matcher(a.body());
        assertThat(m.find()).as(a.body()).isTrue();
        return m.group(1);
    }

    /** The core, but its containers have an address (the fake backend's have none) and create may fail first. */
    private GardenClient addressed(GardenClient garden) {
        return (GardenClient) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {GardenClient.class},
                (p, m, args) -> {
                    if (m.getName().equals("create") && nextCreateFailure != null) {
                        RuntimeException x = nextCreateFailure;
                        nextCreateFailure = null;
                        throw x;
                    }
                    Object r = call(garden, m, args);
                    return r instanceof Container c ? withAddress(c) : r;
                });
    }

    private Container withAddress(Container c) {
        return (Container) java.lang.reflect.Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Container.class},
                (p, m, args) -> {
                    Object r = call(c, m, args);
                    if (!(r instanceof ContainerInfo i)) return r;
                    return new ContainerInfo(i.state(), i.events(), i.hostIp(), "10.9.0.2", i.containerIpv6(), i.externalIp(),
                            i.containerPath(), i.processIds(), i.properties(), i.mappedPorts());
                });
    }

    private static Object call(Object target, java.lang.reflect.Method m, Object[] args) throws Throwable {
        try {
            return m.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
