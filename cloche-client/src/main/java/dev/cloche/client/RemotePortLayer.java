package dev.cloche.client;

import dev.cloche.api.GardenError;
import dev.cloche.api.PortLayer;
import dev.cloche.api.Signal;
import dev.cloche.wire.PortLayerJson;
import dev.cloche.wire.PortLayerRoute;
import dev.cloche.wire.Query;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.UnixDomainSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A {@link PortLayer} over the daemon's {@code /portlayer/} routes. Handles are values kept here; {@link #commit}
 * sends the staged changes with {@code If-Match: "<version>"} (or {@code If-None-Match: *} for a new container),
 * so a version conflict is detected by the server and arrives as a {@link dev.cloche.api.ConflictException}.
 */
public final class RemotePortLayer implements PortLayer {
    private final Dialer dialer;

    private RemotePortLayer(Dialer dialer) {
        this.dialer = dialer;
    }

    public static RemotePortLayer tcp(String host, int port) {
        return tcp(host, port, ClientSecurity.NONE);
    }

    public static RemotePortLayer tcp(String host, int port, ClientSecurity security) {
        return new RemotePortLayer(Dialer.of(new InetSocketAddress(host, port), security));
    }

    public static RemotePortLayer unix(Path socket) {
        return unix(socket, ClientSecurity.NONE);
    }

    public static RemotePortLayer unix(Path socket, ClientSecurity security) {
        return new RemotePortLayer(Dialer.of(UnixDomainSocketAddress.of(socket), security));
    }

    private record Reply(String body, Optional<String> etag) {}

    private Reply call(PortLayerRoute route, Map<String, String> query, String extraHeaders, Optional<String> json,
                       String... params) {
        try (HttpConnection c = dialer.open()) {
            byte[] body = json.map(j -> j.getBytes(StandardCharsets.UTF_8)).orElse(new byte[0]);
            String q = Query.encode(query);
            String headers = "Connection: close\r\n" + extraHeaders
                    + (json.isPresent() ? "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n" : "");
            RemoteGardenClient.writeHead(c, route.method(), route.path(params) + (q.isEmpty() ? "" : "?" + q), headers);
            c.write(body);
            HttpConnection.ResponseHead head = c.readHead();
            if (!head.ok()) {
                throw RemoteGardenClient.error(c, head);
            }
            return new Reply(new String(c.readBody(head), StandardCharsets.UTF_8), head.header("ETag"));
        } catch (IOException e) {
            throw GardenError.internal("port layer " + route.name() + ": " + e.getMessage(), e);
        }
    }

    private String get(PortLayerRoute route, Map<String, String> query, String... params) {
        return call(route, query, "", Optional.empty(), params).body();
    }

    @Override
    public Handle createContainer(String name) {
        // the id is checked by the commit (If-None-Match: *); a generated one is chosen here, as the server would
        return Handle.of(name.isEmpty() ? java.util.UUID.randomUUID().toString() : name, 0);
    }

    @Override
    public Handle getHandle(String id) {
        return Handle.of(id, PortLayerJson.decodeCommitted(get(PortLayerRoute.HANDLE, Map.of(), id)).version());
    }

    @Override
    public Committed commit(Handle handle) {
        String precondition = handle.isNew() ? "If-None-Match: *\r\n" : "If-Match: " + PortLayerJson.etag(handle.version()) + "\r\n";
        return PortLayerJson.decodeCommitted(call(PortLayerRoute.COMMIT, Map.of(), precondition,
                Optional.of(PortLayerJson.encodeChanges(handle)), handle.id()).body());
    }

    @Override
    public void destroyContainer(String id) {
        call(PortLayerRoute.DESTROY, Map.of(), "", Optional.empty(), id);
    }

    @Override
    public List<String> containers(Optional<RunState> state) {
        return PortLayerJson.decodeIds(get(PortLayerRoute.LIST, state.map(s -> Map.of("state", s.name())).orElse(Map.of())));
    }

    @Override
    public Config config(String id) {
        return PortLayerJson.decodeConfig(get(PortLayerRoute.CONFIG, Map.of(), id));
    }

    @Override
    public State state(String id) {
        return PortLayerJson.decodeState(get(PortLayerRoute.STATE, Map.of(), id));
    }

    @Override
    public FileContent copyOut(String id, String path) {
        return PortLayerJson.decodeFile(get(PortLayerRoute.COPY_OUT, Map.of("path", path), id));
    }

    @Override
    public String execProcess(String id, String dir, String path, List<String> args) {
        return PortLayerJson.decodeProcessId(call(PortLayerRoute.EXEC, Map.of(), "",
                Optional.of(PortLayerJson.encodeExec(dir, path, args)), id).body());
    }

    @Override
    public void signal(String processId, Signal signal) {
        call(PortLayerRoute.SIGNAL, Map.of(), "", Optional.of(PortLayerJson.encodeSignal(signal)), processId);
    }
}
