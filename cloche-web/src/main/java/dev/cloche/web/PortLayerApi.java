package dev.cloche.web;

import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.PortLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** The port layer's containers as the page lists them: id, configuration version, run state, entry point, execs. */
final class PortLayerApi {
    /** One row: {@code entryPoint} is the main process's path, empty when there is none. */
    record Row(String id, long version, String runState, String entryPoint, int execs, long memoryLimit) {
    }

    private final PortLayer portLayer;

    PortLayerApi(PortLayer portLayer) {
        this.portLayer = Objects.requireNonNull(portLayer, "portLayer");
    }

    WebAnswer list() {
        List<Row> rows = new ArrayList<>();
        for (String id : portLayer.containers(Optional.empty())) {
            try {
                PortLayer.Config c = portLayer.config(id);
                PortLayer.State s = portLayer.state(id);
                rows.add(new Row(id, c.version(), s.runState().name().toLowerCase(java.util.Locale.ROOT),
                        c.entryPoint().map(PortLayer.EntryPoint::path).orElse(""), c.execs().size(), c.memoryLimit()));
            } catch (ContainerNotFoundException gone) {
                // destroyed between the listing and its read: not listed
            }
        }
        rows.sort(java.util.Comparator.comparing(Row::id));
        return WebJson.ok(rows);
    }
}
