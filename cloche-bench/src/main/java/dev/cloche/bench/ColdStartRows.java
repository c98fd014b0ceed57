package dev.cloche.bench;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.bench.Report.Row;
import dev.cloche.proxy.Proxy;
import dev.cloche.proxy.ProxyConfig;
import dev.cloche.proxy.Readiness;
import dev.cloche.proxy.Template;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The cold-start row: from asking for an environment to the first 200 from its server, for a server that takes 1 s to
 * start ({@code sleep 1; exec httpd}). Cloche: {@code POST /demo/new} to Cloche's proxy (in this JVM, over the
 * daemon's Garden API), then {@code GET /demo/{id}/}. The "raw" column: the same server started by Cloche's API
 * directly (create, run) and polled at its container address, no proxy. podman: {@code podman run -d
 * --network=host} of the same server, polled on loopback. Both polls every 2 ms, then 5 ms (20 ms after 3 s), as the proxy's
 * readiness check does. Sablier publishes 5.02 s for this case; the goal is under 0.1 s above the server's 1 s.
 * Needs networking on the daemon (the Makefile turns it on for this scenario).
 */
final class ColdStartRows {
    /** Serves an index page after sleeping 1 s: the server the row is about. */
    static final String SERVER = "mkdir -p /www && echo ok > /www/index.html && sleep 1 && exec httpd -f -p %s -h /www";
    private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]+)\"");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private final GardenClient garden;
    private final Optional<Podman> podman;
    private final int iterations;
    /** The raw column's parts: create, run, the poll until 200. */
    private final List<Samples> parts = List.of(new Samples(), new Samples(), new Samples());

    ColdStartRows(GardenClient garden, Optional<Podman> podman, int iterations) {
        this.garden = garden;
        this.podman = podman;
        this.iterations = iterations;
    }

    List<Row> measure(ImageRows.Interleave interleave) throws Exception {
        Template t = Template.DEFAULT.withName("coldstart").withCommand(List.of("/bin/sh", "-c", SERVER.formatted("8080")))
                .withReadiness(new Readiness.Http(8080, "/")).withReadyTimeout(Duration.ofSeconds(30));
        List<Samples> out = List.of(new Samples(), new Samples(), new Samples());
        List<Samples> warm = List.of(new Samples(), new Samples(), new Samples());
        try (Proxy proxy = Proxy.start(garden, ProxyConfig.of(new InetSocketAddress("127.0.0.1", 0),
                List.of(t, t.withName("warm").withWarm(1))))) {
            String base = "http://127.0.0.1:" + proxy.address().getPort();
            interleave.run("coldstart", List.of(() -> throughProxy(base, ""), this::clocheDirect, this::podmanDirect),
                    out, iterations, 1e-6);
            interleave.run("warmstart", List.of(() -> throughProxy(base, "warm"), this::clocheMadeAhead,
                    this::podmanMadeAhead), warm, iterations, 1e-6);
        }
        return List.of(new Row("coldstart", "cold start: POST /demo/new to the first proxied 200, server ready after 1 s",
                "ms", false, out.get(0), Optional.of(out.get(1)), podman.map(p -> out.get(2)), Optional.empty(),
                Optional.empty(), "raw column: Cloche's create + run of the same server, polled at its container address"
                + " (no proxy); podman: run -d --network=host, polled on loopback; 1000 ms of each is the server's sleep"),
                new Row("warmstart", "start in a container made ahead: POST /demo/new (template warm: 1) to the first"
                        + " proxied 200, server ready after 1 s", "ms", false, warm.get(0), Optional.of(warm.get(1)),
                        podman.map(p -> warm.get(2)), Optional.empty(), Optional.empty(), "raw column: Cloche's run of the"
                        + " server in a container created beforehand, polled at its address; podman: start of a container"
                        + " created beforehand (Sablier's case), polled on loopback; creates untimed"));
    }

    /** Waits (untimed) until the proxy has a container made ahead, so that every measured create takes one. */
    private void awaitMadeAhead() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            boolean any = garden.containers(java.util.Map.of("proxy.warm", "true")).stream()
                    .anyMatch(c -> !"true".equals(c.properties().get("proxy.env")));
            if (any) return;
            Thread.sleep(10);
        }
        throw new IllegalStateException("the proxy made no container ahead within 30 s");
    }

    private long clocheMadeAhead() throws Exception {
        Container c = garden.create(ContainerSpec.empty());
        try {
            String ip = c.info().containerIp();
            long t0 = System.nanoTime();
            c.run(ProcessSpec.of("/bin/sh", "-c", SERVER.formatted("8080")).withId("server"),
                    ProcessIO.output(OutputStream.nullOutputStream(), OutputStream.nullOutputStream())).close();
            pollUntil200("http://" + ip + ":8080/");
            return System.nanoTime() - t0;
        } finally {
            c.destroy();
        }
    }

    private long podmanMadeAhead() throws Exception {
        Podman p = podman.orElseThrow();
        int port = freePort();
        String name = "warmstart-" + port;
        try {
            p.run("create", "--name", name, "--network=host", "--cgroup-parent=" + Podman.CGROUP_PARENT, Podman.IMAGE,
                    "/bin/sh", "-c", SERVER.formatted("127.0.0.1:" + port));
            long t0 = System.nanoTime();
            p.run("start", name);
            pollUntil200("http://127.0.0.1:" + port + "/");
            return System.nanoTime() - t0;
        } finally {
            p.remove(List.of(name));
        }
    }

    private long throughProxy(String base, String template) throws Exception {
        if (!template.isEmpty()) awaitMadeAhead();
        long t0 = System.nanoTime();
        HttpResponse<String> made = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/demo/new"
                        + (template.isEmpty() ? "" : "?template=" + template))).POST(HttpRequest.BodyPublishers.noBody())
                .timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        if (made.statusCode() != 201) throw new IllegalStateException("POST /demo/new answered " + made.statusCode() + ": " + made.body());
        Matcher m = ID.matcher(made.body());
        if (!m.find()) throw new IllegalStateException("no id in " + made.body());
        String id = m.group(1);
        try {
            HttpResponse<String> page = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/demo/" + id + "/"))
                    .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
            long t = System.nanoTime() - t0;
            if (page.statusCode() != 200) throw new IllegalStateException("the first proxied request answered " + page.statusCode());
            return t;
        } finally {
            HTTP.send(HttpRequest.newBuilder(URI.create(base + "/demo/" + id)).DELETE().build(), HttpResponse.BodyHandlers.discarding());
        }
    }

    /** Where the raw column's time goes, for the notes: create, run (to its start), the poll until 200. */
    List<String> notes() {
        return List.of(String.format(java.util.Locale.ROOT, "coldstart, Cloche's API without the proxy (medians, warm-up"
                + " included): create %.0f ms, run the server %.0f ms, then its 200 %.0f ms later (the server's own 1000 ms"
                + " sleep included)", parts.get(0).median(), parts.get(1).median(), parts.get(2).median()));
    }

    private long clocheDirect() throws Exception {
        long t0 = System.nanoTime();
        Container c = garden.create(ContainerSpec.empty());
        try {
            long t1 = System.nanoTime();
            c.run(ProcessSpec.of("/bin/sh", "-c", SERVER.formatted("8080")).withId("server"),
                    ProcessIO.output(OutputStream.nullOutputStream(), OutputStream.nullOutputStream())).close();
            long t2 = System.nanoTime();
            String ip = c.info().containerIp();
            if (ip.isEmpty()) throw new IllegalStateException("containers have no address: the coldstart row needs the daemon's networking");
            pollUntil200("http://" + ip + ":8080/");
            long t3 = System.nanoTime();
            parts.get(0).add((t1 - t0) / 1e6);
            parts.get(1).add((t2 - t1) / 1e6);
            parts.get(2).add((t3 - t2) / 1e6);
            return t3 - t0;
        } finally {
            c.destroy();
        }
    }

    private long podmanDirect() throws Exception {
        Podman p = podman.orElseThrow();
        int port = freePort();
        String name = "coldstart-" + port;
        long t0 = System.nanoTime();
        try {
            p.run("run", "-d", "--name", name, "--network=host", "--cgroup-parent=" + Podman.CGROUP_PARENT, Podman.IMAGE,
                    "/bin/sh", "-c", SERVER.formatted("127.0.0.1:" + port));
            pollUntil200("http://127.0.0.1:" + port + "/");
            return System.nanoTime() - t0;
        } finally {
            p.remove(List.of(name));
        }
    }

    /** Polls like the proxy's readiness check: 2 ms, then 5 ms apart (20 ms after 3 s); 30 s at most. */
    private static void pollUntil200(String url) throws Exception {
        long start = System.nanoTime();
        long deadline = start + TimeUnit.SECONDS.toNanos(30);
        long pause = 2;
        HttpRequest get = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).build();
        while (true) {
            try {
                if (HTTP.send(get, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) return;
            } catch (java.io.IOException e) {
                // not listening yet
            }
            if (System.nanoTime() > deadline) throw new IllegalStateException(url + " never answered 200");
            Thread.sleep(pause);
            pause = Math.min(pause * 2, System.nanoTime() - start < TimeUnit.SECONDS.toNanos(3) ? 5 : 20);
        }
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
