package dev.cloche.server;

import dev.cloche.api.Event;
import dev.cloche.api.EventSource;
import dev.cloche.api.EventSubscription;
import dev.cloche.wire.EventJson;
import dev.cloche.wire.EventRoute;

/**
 * Cloche's event route as a call: decode the query, one {@link EventSource#subscribe}, and each event as its line.
 * Netty-free; {@link EventStream} puts the lines on the connection.
 */
final class EventEndpoint {
    private final EventSource events;

    EventEndpoint(EventSource events) {
        this.events = events;
    }

    /** Subscribes as the raw query asks; a bad query is an {@link dev.cloche.api.InvalidRequestException}. */
    EventSubscription subscribe(String rawQuery) {
        EventRoute.Request r = EventRoute.decode(rawQuery);
        return events.subscribe(r.filter(), r.replay());
    }

    static String line(Event e) {
        return EventJson.encode(e);
    }
}
