package dev.cloche.linux;

import dev.cloche.linux.cgroup.Cgroups;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.image.ContainerImages;
import dev.cloche.linux.oci.OciRuntime;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes what a pea leaves once its process has exited (docs/peas.md): its runtime container (the runtime kills
 * anything the process left in the pea's cgroup), its cgroup, its volume, its image hold and its depot directory.
 * After a restart it finds peas again by their directories.
 */
final class PeaCleaner {
    private static final Logger LOG = LoggerFactory.getLogger(PeaCleaner.class);

    private final ContainerIdentity container;
    private final Depot.Entry entry;
    private final OciRuntime runtime;
    private final Cgroups cgroups;
    private final Volumizer volumizer;
    private final ContainerImages images;

    PeaCleaner(ContainerIdentity container, Depot.Entry entry, OciRuntime runtime, Cgroups cgroups, Volumizer volumizer,
               ContainerImages images) {
        this.container = container;
        this.entry = entry;
        this.runtime = runtime;
        this.cgroups = cgroups;
        this.volumizer = volumizer;
        this.images = images;
    }

    /** Every pea directory of the container, by pea id. */
    List<String> peaIds() {
        return Depot.peaIds(entry);
    }

    Depot.PeaFiles files(String peaId) {
        return entry.pea(peaId);
    }

    /** After a restart: the store holds a live pea's image again (a directory image needs nothing). */
    void reacquire(String peaId) {
        record(peaId).ifPresent(r -> images.reacquire(r.imageId(), container.privileged(), r.holder()));
    }

    /**
     * Removes everything of pea {@code peaId}, going on past failures, which are logged and returned. Idempotent;
     * the depot directory and the image hold go only once the volume is unmounted.
     */
    synchronized List<RuntimeException> clean(String peaId) {
        List<RuntimeException> failures = new ArrayList<>();
        Depot.PeaFiles files = entry.pea(peaId);
        if (!Files.exists(files.dir())) return failures;
        Optional<PeaRecord> rec = record(peaId);
        try {
            deleteRuntime(peaId);
        } catch (RuntimeException e) {
            failures.add(e);
        }
        rec.ifPresent(r -> {
            try {
                cgroups.remove(r.cgroup());
            } catch (RuntimeException e) {
                failures.add(e);
            }
        });
        try {
            volumizer.destroy(files.volume());
            rec.ifPresent(r -> images.release(r.imageId(), r.holder()));
            Trees.deleteRecursively(files.dir());
        } catch (RuntimeException e) {
            failures.add(e);
        }
        failures.forEach(e -> LOG.error("cleaning pea {} of {}: {}", peaId, container.handle(), e.getMessage()));
        return failures;
    }

    /** A pea whose process is gone is stopped and deletes at once; one still running (destroy's path) is killed first. */
    private void deleteRuntime(String peaId) {
        try {
            runtime.delete(peaId);
        } catch (RuntimeException e) {
            runtime.kill(peaId, "KILL", true);
            runtime.delete(peaId);
        }
    }

    private Optional<PeaRecord> record(String peaId) {
        try {
            return Optional.of(entry.pea(peaId).readRecord());
        } catch (IOException | RuntimeException e) {
            LOG.warn("pea {} of {} has no readable record: {}", peaId, container.handle(), e.toString());
            return Optional.empty();
        }
    }
}
