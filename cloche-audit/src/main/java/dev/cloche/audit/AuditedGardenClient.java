package dev.cloche.audit;

import dev.cloche.api.Capacity;
import dev.cloche.api.Container;
import dev.cloche.api.ContainerInfoEntry;
import dev.cloche.api.ContainerMetricsEntry;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.GardenClient;
import dev.cloche.wire.GardenJson;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import tools.jackson.databind.util.RawValue;

/**
 * A {@link GardenClient} whose state-changing calls (create, destroy, and every such call on the containers and
 * processes it hands out) are audited; reads pass straight through.
 */
public final class AuditedGardenClient implements GardenClient {
    private final GardenClient delegate;
    private final Auditor auditor;

    public AuditedGardenClient(GardenClient delegate, Auditor auditor) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.auditor = Objects.requireNonNull(auditor, "auditor");
    }

    @Override
    public void ping() {
        delegate.ping();
    }

    @Override
    public Capacity capacity() {
        return delegate.capacity();
    }

    @Override
    public Container create(ContainerSpec spec) {
        Auditor.Call call = spec.handle().isEmpty() ? Auditor.call("create") : Auditor.call("create", spec.handle());
        call.detail().putRawValue("spec", new RawValue(GardenJson.encodeContainerSpec(Redaction.spec(spec)).strip()));
        return new AuditedContainer(auditor.record(call, () -> delegate.create(spec), (c, made) -> c.withHandle(made.handle())),
                auditor);
    }

    @Override
    public void destroy(String handle) {
        auditor.record(Auditor.call("destroy", handle), () -> delegate.destroy(handle));
    }

    @Override
    public List<Container> containers(Map<String, String> properties) {
        return delegate.containers(properties).stream().<Container>map(c -> new AuditedContainer(c, auditor)).toList();
    }

    @Override
    public Map<String, ContainerInfoEntry> bulkInfo(List<String> handles) {
        return delegate.bulkInfo(handles);
    }

    @Override
    public Map<String, ContainerMetricsEntry> bulkMetrics(List<String> handles) {
        return delegate.bulkMetrics(handles);
    }

    @Override
    public Container lookup(String handle) {
        return new AuditedContainer(delegate.lookup(handle), auditor);
    }

    /** Closes the client it decorates (the decorator holds nothing of its own). */
    @Override
    public void close() {
        delegate.close();
    }
}
