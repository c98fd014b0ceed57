package dev.cloche.cli;

import dev.cloche.api.Event;
import dev.cloche.api.EventFilter;
import dev.cloche.api.EventReplay;
import dev.cloche.api.EventSubscription;
import dev.cloche.api.EventType;
import dev.cloche.client.RemoteGardenClient;
import dev.cloche.wire.EventJson;
import dev.cloche.wire.EventRoute;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/**
 * {@code cloche events}: follows the daemon's event stream ({@code GET /events}) and prints one line per event until
 * the stream ends (or Ctrl-C). A stream the daemon cut because this reader fell behind ends with a lost record; the
 * verb then says how to resume and exits 1.
 */
@Command(name = "events", description = "Follow the daemon's events: one line per event (container created, destroyed, "
        + "stopped; oom; process started and exited; grace time expired; net-in, net-out; image pulled).")
final class EventsCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Option(names = "--handle", paramLabel = "HANDLE", description = "Only the events of this container.")
    String handle;

    @Option(names = {"-p", "--property"}, paramLabel = "NAME=VALUE",
            description = "Only events of containers with this property (repeatable: all must match).")
    Map<String, String> properties = new LinkedHashMap<>();

    @Option(names = "--since", paramLabel = "SEQ|TIME",
            description = "First replay the events the daemon still holds after this sequence number (0: all of them), "
                    + "or from this ISO-8601 time (e.g. 2026-12-05T11:00:00Z).")
    String since;

    @Option(names = {"-n", "--count"}, paramLabel = "N", description = "Stop after N events.")
    long count = -1;

    @Option(names = "--json", description = "Print each event as the daemon sends it (newline-delimited JSON).")
    boolean json;

    @Override
    public Integer call() {
        EventFilter filter = new EventFilter(Optional.ofNullable(handle), properties);
        EventReplay replay = since == null ? EventReplay.NONE : EventRoute.since(since);
        try (RemoteGardenClient c = parent.client(); EventSubscription events = c.subscribe(filter, replay)) {
            for (long n = 0; count < 0 || n < count; n++) {
                Optional<Event> e = events.next();
                if (e.isEmpty()) {
                    return 0;
                }
                System.out.print(json ? EventJson.encode(e.get()) : line(e.get()) + "\n");
                System.out.flush();
                if (e.get().type() == EventType.LOST && !e.get().details().containsKey("to")) {
                    System.err.println("cloche: this reader fell behind and the daemon cut the stream; resume with --since "
                            + e.get().sequence());
                    return 1;
                }
            }
        }
        return 0;
    }

    /** {@code TIME SEQ TYPE HANDLE [process=ID] [exit=N] [k=v ...] request=ID}, for people. */
    static String line(Event e) {
        StringBuilder b = new StringBuilder().append(e.time()).append(' ').append(e.sequence()).append(' ')
                .append(e.type().wireName());
        if (!e.handle().isEmpty()) {
            b.append(' ').append(e.handle());
        }
        e.processId().ifPresent(p -> b.append(" process=").append(p));
        e.exitStatus().ifPresent(s -> b.append(" exit=").append(s));
        new TreeMap<>(e.details()).forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
        return b.append(" request=").append(e.requestId()).toString();
    }
}
