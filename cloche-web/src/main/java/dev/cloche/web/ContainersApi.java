package dev.cloche.web;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfo;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.ContainerMetricsEntry;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.CpuLimits;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ImageCatalog;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.api.MemoryLimits;
import dev.cloche.api.PidLimits;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.tar.TarEntry;
import dev.cloche.tar.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * The containers view's JSON over {@link GardenClient}: list (with live memory and CPU), create, destroy, and files
 * in and out (Garden's stream-in and stream-out). Each route is one or two client calls.
 */
final class ContainersApi {
    /** One row of the containers view. */
    record Row(String handle, String state, String image, String ip, List<Map<String, Integer>> ports, Map<String, String> properties,
               List<String> processes, long ageSeconds, long memoryBytes, long memoryLimitBytes, long cpuNanos) {
    }

    private final GardenClient garden;
    private final Optional<ImageCatalog> images;

    ContainersApi(GardenClient garden) {
        this(garden, Optional.empty());
    }

    ContainersApi(GardenClient garden, Optional<ImageCatalog> images) {
        this.garden = Objects.requireNonNull(garden, "garden");
        this.images = Objects.requireNonNull(images, "images");
    }

    /**
     * Each container's image reference, from the catalog's holders (Garden's info does not carry the image); a
     * container made from the default rootfs or a rootfs path holds no cached image and is absent.
     */
    private Map<String, String> imageByHandle() {
        Map<String, String> by = new java.util.HashMap<>();
        images.ifPresent(catalog -> catalog.images().forEach(i -> i.holders().forEach(h -> by.put(h, i.reference()))));
        return by;
    }

    /** Every container with these properties (each {@code name=value}), with its info and metrics of now. */
    WebAnswer list(List<String> propertyFilters) {
        Map<String, String> filter = new LinkedHashMap<>();
        for (String f : propertyFilters) {
            int eq = f.indexOf('=');
            if (eq <= 0) {
                throw new InvalidRequestException("a property filter is name=value, got '" + f + "'");
            }
            filter.put(f.substring(0, eq), f.substring(eq + 1));
        }
        List<String> handles = garden.containers(filter).stream().map(Container::handle).sorted().toList();
        if (handles.isEmpty()) {
            return WebJson.ok(List.of());
        }
        Map<String, ContainerInfoEntry> infos = garden.bulkInfo(handles);
        Map<String, ContainerMetricsEntry> metrics = garden.bulkMetrics(handles);
        Map<String, String> imageOf = imageByHandle();
        List<Row> rows = new ArrayList<>();
        for (String h : handles) {
            Optional<ContainerInfo> info = Optional.ofNullable(infos.get(h)).flatMap(ContainerInfoEntry::info);
            if (info.isEmpty()) {
                continue; // destroyed between the listing and the bulk call
            }
            Optional<ContainerMetrics> m = Optional.ofNullable(metrics.get(h)).flatMap(ContainerMetricsEntry::metrics);
            ContainerInfo i = info.get();
            rows.add(new Row(h, i.state(), imageOf.getOrDefault(h, ""), i.containerIp(),
                    i.mappedPorts().stream().map(p -> Map.of("host", p.hostPort(), "container", p.containerPort())).toList(),
                    i.properties(), i.processIds(),
                    m.map(x -> x.age().toSeconds()).orElse(0L),
                    m.map(x -> x.memory().totalUsageTowardLimit()).orElse(0L),
                    m.map(x -> x.memory().field("hierarchical_memory_limit")).orElse(0L),
                    m.map(x -> x.cpu().usage()).orElse(0L)));
        }
        return WebJson.ok(rows);
    }

    /**
     * Creates a container from {@code {"handle","image","memoryMb","cpuWeight","pidMax","graceSeconds",
     * "properties":{}}}, every field optional.
     */
    WebAnswer create(String body) {
        JsonNode n = WebJson.readObject(body);
        Map<String, String> properties = new LinkedHashMap<>();
        JsonNode props = n.path("properties");
        if (!props.isMissingNode() && !props.isNull()) {
            if (!props.isObject()) {
                throw new InvalidRequestException("properties must be an object of strings");
            }
            props.properties().forEach(e -> properties.put(e.getKey(), e.getValue().asString()));
        }
        Limits limits = Limits.NONE
                .withMemory(new MemoryLimits(nonNegative(n, "memoryMb") * 1024 * 1024))
                .withCpu(new CpuLimits(nonNegative(n, "cpuWeight"), 0))
                .withPid(new PidLimits(nonNegative(n, "pidMax")));
        ContainerSpec spec = ContainerSpec.empty()
                .withHandleValue(text(n, "handle"))
                .withImage(ImageRef.of(text(n, "image")))
                .withProperties(properties)
                .withGraceTime(Duration.ofSeconds(nonNegative(n, "graceSeconds")))
                .withLimits(limits);
        Container c = garden.create(spec);
        return WebAnswer.json(201, WebJson.write(Map.of("handle", c.handle())));
    }

    WebAnswer destroy(String handle) {
        garden.destroy(handle);
        return WebAnswer.noContent();
    }

    /**
     * Puts the request body into the container under directory {@code dir}: as is when it is a tar
     * ({@code tar=true}), else as one file named {@code name} (mode 0644), wrapped in a tar here.
     */
    WebAnswer upload(String handle, String dir, Optional<String> name, boolean tar, byte[] body) {
        Container c = garden.lookup(handle);
        InputStream archive;
        if (tar) {
            archive = new ByteArrayInputStream(body);
        } else {
            String file = name.orElseThrow(() -> new InvalidRequestException("give the file's name (name=...) or tar=true"));
            if (file.isEmpty() || file.contains("/") || file.equals(".") || file.equals("..")) {
                throw new InvalidRequestException("a file name has no '/' and is not . or ..: '" + file + "'");
            }
            archive = new ByteArrayInputStream(TarWriter.archive(TarEntry.file(file, 0644, body.length), body));
        }
        c.streamIn(new StreamInSpec(dir, "root", archive));
        return WebAnswer.noContent();
    }

    /** A path of the container as an uncompressed tar, streamed. */
    WebAnswer download(String handle, String path) {
        if (path.isEmpty()) {
            throw new InvalidRequestException("give the path to download (path=...)");
        }
        InputStream tar = garden.lookup(handle).streamOut(new StreamOutSpec(path, "root"));
        String base = path.replaceAll("/+$", "");
        String file = (base.isEmpty() ? "root" : base.substring(base.lastIndexOf('/') + 1)).replaceAll("[^A-Za-z0-9._-]", "_");
        return new WebAnswer.Streamed(200, "application/x-tar",
                Map.of("Content-Disposition", "attachment; filename=\"" + handle.replaceAll("[^A-Za-z0-9._-]", "_")
                        + "-" + file + ".tar\""), tar);
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return "";
        }
        if (!v.isString()) {
            throw new InvalidRequestException(field + " must be a string");
        }
        return v.asString().trim();
    }

    private static long nonNegative(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull() || (v.isString() && v.asString().isBlank())) {
            return 0;
        }
        long value;
        if (v.isIntegralNumber()) {
            value = v.asLong();
        } else if (v.isString() && v.asString().trim().matches("\\d{1,15}")) {
            value = Long.parseLong(v.asString().trim());
        } else {
            throw new InvalidRequestException(field + " must be a whole number, got " + v);
        }
        if (value < 0) {
            throw new InvalidRequestException(field + " must not be negative, got " + value);
        }
        return value;
    }
}
