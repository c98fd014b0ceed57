package dev.cloche.server;

import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.wire.GardenJson;
import dev.cloche.wire.Route;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Garden's routes as calls: decode, one {@link GardenClient} call, encode. Netty-free: how bodies arrive and how
 * answers and streams leave is the connection's business. Errors are thrown as they come; the caller turns them
 * into answers ({@link Answer#error}).
 */
final class GardenEndpoint {
    /** What a Run or Attach request starts, decoded from it. */
    sealed interface ProcessStart permits Run, Attach {
        String handle();
    }

    record Run(String handle, ProcessSpec spec) implements ProcessStart {}

    record Attach(String handle, String processId) implements ProcessStart {}

    private final GardenClient garden;

    GardenEndpoint(GardenClient garden) {
        this.garden = garden;
    }

    /** A route whose request and answer bodies are whole JSON values. */
    Answer handle(Route.Found f, Map<String, String> query, String body) {
        return Answer.json(switch (f.route()) {
            case PING -> {
                garden.ping();
                yield GardenJson.EMPTY;
            }
            case CAPACITY -> GardenJson.encodeCapacity(garden.capacity());
            case LIST -> GardenJson.encodeHandles(garden.containers(query).stream().map(Container::handle).toList());
            case CREATE -> GardenJson.encodeHandle(garden.create(GardenJson.decodeContainerSpec(body)).handle());
            case BULK_INFO -> GardenJson.encodeBulkInfo(garden.bulkInfo(handles(query)));
            case BULK_METRICS -> GardenJson.encodeBulkMetrics(garden.bulkMetrics(handles(query)));
            case DESTROY -> {
                garden.destroy(f.param("handle"));
                yield GardenJson.EMPTY;
            }
            case INFO -> GardenJson.encodeContainerInfo(container(f).info());
            case STOP -> {
                boolean kill = GardenJson.decodeStop(body);
                container(f).stop(kill);
                yield GardenJson.EMPTY;
            }
            case CURRENT_BANDWIDTH_LIMITS -> GardenJson.encodeBandwidthLimits(container(f).currentBandwidthLimits());
            case CURRENT_CPU_LIMITS -> GardenJson.encodeCpuLimits(container(f).currentCpuLimits());
            case CURRENT_DISK_LIMITS -> GardenJson.encodeDiskLimits(container(f).currentDiskLimits());
            case CURRENT_MEMORY_LIMITS -> GardenJson.encodeMemoryLimits(container(f).currentMemoryLimits());
            case NET_IN -> {
                var req = GardenJson.decodeNetIn(body);
                yield GardenJson.encodeNetInResponse(container(f).netIn(req.hostPort(), req.containerPort()));
            }
            case NET_OUT -> {
                var rule = GardenJson.decodeNetOutRule(body);
                container(f).netOut(rule);
                yield GardenJson.EMPTY;
            }
            case BULK_NET_OUT -> {
                var rules = GardenJson.decodeNetOutRules(body);
                container(f).bulkNetOut(rules);
                yield GardenJson.EMPTY;
            }
            case SET_GRACE_TIME -> {
                var grace = GardenJson.decodeGraceTime(body);
                container(f).setGraceTime(grace);
                yield GardenJson.EMPTY;
            }
            case PROPERTIES -> GardenJson.encodeProperties(container(f).properties());
            case PROPERTY -> GardenJson.encodePropertyValue(container(f).property(f.param("key")));
            case SET_PROPERTY -> {
                String value = GardenJson.decodePropertyValue(body);
                container(f).setProperty(f.param("key"), value);
                yield GardenJson.EMPTY;
            }
            case REMOVE_PROPERTY -> {
                container(f).removeProperty(f.param("key"));
                yield GardenJson.EMPTY;
            }
            case METRICS -> GardenJson.encodeMetrics(container(f).metrics());
            case STREAM_IN, STREAM_OUT, RUN, ATTACH, STDOUT, STDERR ->
                    throw new IllegalStateException("not a JSON route: " + f.route());
        });
    }

    /** StreamIn: extracts the request body, a tar stream, at {@code destination} as {@code user}. */
    Answer streamIn(Route.Found f, Map<String, String> query, InputStream tar) {
        container(f).streamIn(new StreamInSpec(query.getOrDefault("destination", ""), query.getOrDefault("user", ""), tar));
        return Answer.json(GardenJson.EMPTY);
    }

    /** StreamOut: the tar stream of {@code source}, which the answer carries; the caller closes it. */
    InputStream streamOut(Route.Found f, Map<String, String> query) {
        return container(f).streamOut(new StreamOutSpec(query.getOrDefault("source", ""), query.getOrDefault("user", "")));
    }

    /** Decodes what a Run (its process spec) or an Attach (its process id) asks for; a bad spec is a 400. */
    ProcessStart processStart(Route.Found f, String body) {
        return switch (f.route()) {
            case RUN -> new Run(f.param("handle"), GardenJson.decodeProcessSpec(body));
            case ATTACH -> new Attach(f.param("handle"), f.param("pid"));
            default -> throw new IllegalStateException("not a process route: " + f.route());
        };
    }

    /** Starts the process, or attaches to it, with its stdio on {@code io}. */
    Process start(ProcessStart start, ProcessIO io) {
        Container c = garden.lookup(start.handle());
        return switch (start) {
            case Run r -> c.run(r.spec(), io);
            case Attach a -> c.attach(a.processId(), io);
        };
    }

    private Container container(Route.Found f) {
        return garden.lookup(f.param("handle"));
    }

    /** Go splits on ','; an empty or missing value is an empty list (the Go server would panic on missing). */
    private static List<String> handles(Map<String, String> query) {
        String v = query.getOrDefault("handles", "");
        return v.isEmpty() ? List.of() : Arrays.asList(v.split(",", -1));
    }
}
