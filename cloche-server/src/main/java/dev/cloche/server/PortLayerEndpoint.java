package dev.cloche.server;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.PortLayer;
import dev.cloche.wire.PortLayerJson;
import dev.cloche.wire.PortLayerRoute;
import java.util.Map;
import java.util.Optional;

/**
 * The port layer's HTTP edge: decode, one {@link PortLayer} call, encode. Netty-free; an answer that shows a
 * configuration version carries it as the ETag. Errors are thrown as they come; the caller turns them into answers
 * ({@link Answer#error}).
 */
final class PortLayerEndpoint {
    private final PortLayer portLayer;

    PortLayerEndpoint(PortLayer portLayer) {
        this.portLayer = portLayer;
    }

    Answer handle(PortLayerRoute.Match m, Map<String, String> query, Optional<String> ifMatch,
                  Optional<String> ifNoneMatch, String body) {
        PortLayerRoute route = m.route().orElseThrow();
        return switch (route) {
            case LIST -> {
                String s = query.getOrDefault("state", "");
                yield Answer.json(PortLayerJson.encodeIds(portLayer.containers(
                        s.isEmpty() ? Optional.empty() : Optional.of(PortLayerJson.runState(s)))));
            }
            case CONFIG -> {
                PortLayer.Config c = portLayer.config(m.param("id"));
                yield versioned(PortLayerJson.encodeConfig(c), c.version());
            }
            case HANDLE -> {
                PortLayer.Handle h = portLayer.getHandle(m.param("id"));
                yield versioned(PortLayerJson.encodeCommitted(new PortLayer.Committed(h.id(), h.version())), h.version());
            }
            case COMMIT -> {
                long version;
                if (ifNoneMatch.map(String::strip).filter("*"::equals).isPresent() && ifMatch.isEmpty()) {
                    version = 0; // create
                } else if (ifMatch.isPresent() && ifNoneMatch.isEmpty()) {
                    version = PortLayerJson.versionOf(ifMatch.get());
                } else {
                    throw new InvalidRequestException("a commit needs If-Match: \"<version>\" to change a container, or"
                            + " If-None-Match: * to create one");
                }
                PortLayer.Committed c = portLayer.commit(PortLayerJson.decodeChanges(m.param("id"), version, body));
                yield versioned(PortLayerJson.encodeCommitted(c), c.version());
            }
            case DESTROY -> {
                portLayer.destroyContainer(m.param("id"));
                yield Answer.json(PortLayerJson.EMPTY);
            }
            case STATE -> Answer.json(PortLayerJson.encodeState(portLayer.state(m.param("id"))));
            case COPY_OUT -> Answer.json(PortLayerJson.encodeFile(portLayer.copyOut(m.param("id"), query.getOrDefault("path", ""))));
            case EXEC -> {
                PortLayer.EntryPoint ep = PortLayerJson.decodeExec(body);
                yield Answer.json(PortLayerJson.encodeProcessId(portLayer.execProcess(m.param("id"), ep.dir(), ep.path(), ep.args())));
            }
            case SIGNAL -> {
                portLayer.signal(m.param("pid"), PortLayerJson.decodeSignal(body));
                yield Answer.json(PortLayerJson.EMPTY);
            }
        };
    }

    private static Answer versioned(String body, long version) {
        return Answer.json(body, Map.of("ETag", PortLayerJson.etag(version)));
    }
}
