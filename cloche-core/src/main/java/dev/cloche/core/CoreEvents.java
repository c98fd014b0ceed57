package dev.cloche.core;

import dev.cloche.api.CallContext;
import dev.cloche.api.EventType;
import dev.cloche.api.ImageInfo;
import dev.cloche.api.PortMapping;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * What the core publishes, one method per kind of event, each stamped with the request id of the call being served
 * ({@link CallContext#current()}); publishing never waits for a subscriber ({@link EventHub}).
 */
final class CoreEvents {
    private final EventHub hub;

    CoreEvents(EventHub hub) {
        this.hub = hub;
    }

    void containerCreated(String handle, Map<String, String> properties) {
        container(EventType.CONTAINER_CREATED, handle, properties, Map.of());
    }

    void containerDestroyed(String handle, Map<String, String> properties) {
        container(EventType.CONTAINER_DESTROYED, handle, properties, Map.of());
    }

    void containerStopped(String handle, Map<String, String> properties, boolean kill) {
        container(EventType.CONTAINER_STOPPED, handle, properties, Map.of("kill", Boolean.toString(kill)));
    }

    void graceTimeExpired(String handle, Map<String, String> properties) {
        container(EventType.GRACE_TIME_EXPIRED, handle, properties, Map.of());
    }

    void outOfMemory(String handle, Map<String, String> properties, long kills) {
        container(EventType.OOM, handle, properties, Map.of("kills", Long.toString(kills)));
    }

    void netIn(String handle, Map<String, String> properties, PortMapping mapping) {
        container(EventType.NET_IN, handle, properties, Map.of("host_port", Integer.toString(mapping.hostPort()),
                "container_port", Integer.toString(mapping.containerPort())));
    }

    void netOut(String handle, Map<String, String> properties, int rules) {
        container(EventType.NET_OUT, handle, properties, Map.of("rules", Integer.toString(rules)));
    }

    void processStarted(String handle, Map<String, String> properties, String processId) {
        hub.publish(EventType.PROCESS_STARTED, handle, requestId(), properties, Optional.of(processId),
                OptionalInt.empty(), Map.of());
    }

    /** {@code requestId}: the request that ran the process, since its exit happens outside any call. */
    void processExited(String handle, Map<String, String> properties, String processId, int exitStatus,
                       String requestId) {
        hub.publish(EventType.PROCESS_EXITED, handle, requestId, properties, Optional.of(processId),
                OptionalInt.of(exitStatus), Map.of());
    }

    /** The image's normal reference only: an {@code ImageRef}'s credentials never reach an event. */
    void imagePulled(ImageInfo image) {
        hub.publish(EventType.IMAGE_PULLED, "", requestId(), Map.of(), Optional.empty(), OptionalInt.empty(),
                Map.of("image", image.reference(), "id", image.id()));
    }

    static String requestId() {
        return CallContext.current().requestId();
    }

    private void container(EventType type, String handle, Map<String, String> properties, Map<String, String> details) {
        hub.publish(type, handle, requestId(), properties, Optional.empty(), OptionalInt.empty(), details);
    }
}
