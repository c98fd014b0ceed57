package dev.cloche.audit;

import dev.cloche.api.Container;
import dev.cloche.api.Limits;
import dev.cloche.api.VersionedContainers;
import dev.cloche.wire.GardenJson;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.util.RawValue;

/**
 * Port-layer commits, audited: one {@code commit} record listing every change the commit applied (properties set and
 * removed, new limits), with the version it was based on and the one it made. Calls the commit makes on the
 * container (a process started, files streamed in) are audited as records of their own with the same request id.
 */
public final class AuditedVersionedContainers implements VersionedContainers {
    private final VersionedContainers delegate;
    private final Auditor auditor;

    public AuditedVersionedContainers(VersionedContainers delegate, Auditor auditor) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.auditor = Objects.requireNonNull(auditor, "auditor");
    }

    @Override
    public long version(String handle) {
        return delegate.version(handle);
    }

    @Override
    public long commit(String handle, long expectedVersion, ConfigChange change) {
        Auditor.Call c = Auditor.call("commit", handle);
        c.detail().put("base_version", expectedVersion);
        ArrayNode changes = c.detail().putArray("changes");
        return auditor.record(c, () -> delegate.commit(handle, expectedVersion, tx -> change.apply(new Recording(tx, changes))),
                (done, version) -> {
                    done.detail().put("version", version);
                    return done;
                });
    }

    /** The commit's transaction, noting each change as the commit applies it. */
    private final class Recording implements ConfigTransaction {
        private final ConfigTransaction tx;
        private final ArrayNode changes;

        Recording(ConfigTransaction tx, ArrayNode changes) {
            this.tx = tx;
            this.changes = changes;
        }

        @Override
        public Container container() {
            return new AuditedContainer(tx.container(), auditor);
        }

        @Override
        public long baseVersion() {
            return tx.baseVersion();
        }

        @Override
        public Map<String, String> properties() {
            return tx.properties();
        }

        @Override
        public void setProperty(String name, String value) {
            tx.setProperty(name, value);
            synchronized (changes) {
                changes.addObject().put("set_property", name).put("value", Redaction.value(name, value));
            }
        }

        @Override
        public void removeProperty(String name) {
            tx.removeProperty(name);
            synchronized (changes) {
                changes.addObject().put("remove_property", name);
            }
        }

        @Override
        public void updateLimits(UnaryOperator<Limits> change) {
            tx.updateLimits(old -> {
                Limits l = change.apply(old);
                synchronized (changes) {
                    changes.addObject().putObject("limits")
                            .putRawValue("memory", new RawValue(GardenJson.encodeMemoryLimits(l.memory()).strip()))
                            .putRawValue("cpu", new RawValue(GardenJson.encodeCpuLimits(l.cpu()).strip()));
                }
                return l;
            });
        }

        @Override
        public void onRollback(Runnable undo) {
            tx.onRollback(undo);
        }
    }
}
