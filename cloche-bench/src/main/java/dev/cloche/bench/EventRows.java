package dev.cloche.bench;

import dev.cloche.api.Container;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.Event;
import dev.cloche.api.EventFilter;
import dev.cloche.api.EventReplay;
import dev.cloche.api.EventSource;
import dev.cloche.api.EventSubscription;
import dev.cloche.api.EventType;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.bench.Report.Row;
import java.io.OutputStream;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What following {@code GET /events} costs the daemon (EVENTS): the lifecycle (create + run /bin/true + destroy)
 * while a client follows every event, interleaved with the same lifecycle while nobody does (the "raw" column here).
 * The subscription is opened and drained outside the timed part: only the publishing and streaming it causes
 * during the lifecycle count. Goal: at most 2% slower.
 */
final class EventRows {
    private static final Duration DRAIN = Duration.ofSeconds(30);

    private final GardenClient garden;
    private final EventSource events;
    private final int iterations;

    EventRows(GardenClient garden, EventSource events, int iterations) {
        this.garden = garden;
        this.events = events;
        this.iterations = iterations;
    }

    List<Row> measure(ImageRows.Interleave interleave) throws Exception {
        List<Samples> out = List.of(new Samples(), new Samples(), new Samples());
        List<BenchMain.Timed> contenders = List.of(this::followed, () -> lifecycle(garden));
        interleave.run("events", contenders, out, iterations, 1e-6);
        return List.of(new Row("events", "lifecycle while a client follows every event (GET /events)", "ms", false,
                out.get(0), Optional.of(out.get(1)), Optional.empty(), Optional.of(1.02), Optional.empty(),
                "raw column: the same lifecycle with no subscriber (goal ≤ 1.02× it)"));
    }

    private static long lifecycle(GardenClient garden) {
        long t0 = System.nanoTime();
        Container k = garden.create(ContainerSpec.empty());
        try {
            // as the lifecycle row runs it: output delivered, then discarded
            int code = k.run(ProcessSpec.of("/bin/true"), ProcessIO.output(OutputStream.nullOutputStream(),
                    OutputStream.nullOutputStream())).await();
            if (code != 0) {
                throw new IllegalStateException("/bin/true exited " + code);
            }
        } finally {
            k.destroy();
        }
        return System.nanoTime() - t0;
    }

    /** A lifecycle with a subscriber following; it reads every event up to the container's destroy, untimed. */
    private long followed() {
        try (EventSubscription s = events.subscribe(EventFilter.ALL, EventReplay.NONE)) {
            long t = lifecycle(garden);
            for (Optional<Event> e = s.next(DRAIN); ; e = s.next(DRAIN)) {
                if (e.isEmpty()) {
                    throw new IllegalStateException("the event stream ended before the destroy was seen");
                }
                if (e.get().type() == EventType.CONTAINER_DESTROYED) {
                    return t;
                }
            }
        }
    }
}
