package dev.cloche.linux;

import dev.cloche.api.ContainerMetrics;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.Limits;
import dev.cloche.linux.cgroup.Cgroups;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.net.ContainerNet;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * A container's limits and what it uses of them: the limits recorded in its depot entry (memory and CPU can change
 * while it runs), its metrics, and Garden's events for it.
 */
final class ContainerResources {
    private final ContainerIdentity container;
    private final Depot.Entry entry;
    private final ContainerStatus status;
    private final Cgroups cgroups;
    private final Volumizer volumizer;
    private final LongSupplier clock;
    private volatile DepotMeta meta;

    /** {@code clock}: the current time in milliseconds, for the container's age. */
    ContainerResources(ContainerIdentity container, Depot.Entry entry, DepotMeta meta, ContainerStatus status, Cgroups cgroups,
                       Volumizer volumizer, LongSupplier clock) {
        this.container = container;
        this.entry = entry;
        this.meta = meta;
        this.status = status;
        this.cgroups = cgroups;
        this.volumizer = volumizer;
        this.clock = clock;
    }

    Limits limits() {
        status.requireExists();
        return meta.limits();
    }

    /** Only memory and CPU change on a live container: written to its cgroup, then recorded, or undone. */
    synchronized void updateLimits(Limits limits) {
        status.requireExists();
        DepotMeta current = meta;
        Limits was = current.limits();
        if (!limits.bandwidth().equals(was.bandwidth()) || !limits.disk().equals(was.disk())
                || !limits.pid().equals(was.pid())) {
            throw new InvalidRequestException("only memory and cpu limits can change on a live container");
        }
        cgroups.setLimits(container.group(), limits.memory().limitInBytes(), limits.cpu().effectiveShares());
        DepotMeta updated = current.withLimits(limits);
        try {
            entry.writeMeta(updated);
        } catch (IOException e) {
            cgroups.setLimits(container.group(), was.memory().limitInBytes(), was.cpu().effectiveShares());
            throw GardenError.internal("cannot record new limits of " + container.handle() + ": " + e.getMessage(), e);
        }
        meta = updated;
    }

    /** Memory, CPU and pids from the cgroup, disk from the volume plus the image, network from {@code net}. */
    ContainerMetrics metrics(ContainerNet net) {
        status.requireExists();
        DepotMeta m = meta;
        Duration age = Duration.ofMillis(Math.max(0, clock.getAsLong() - m.createdAtMillis()));
        Volumizer.Usage written = volumizer.usage(entry.volume());
        ContainerMetrics.DiskStat disk = new ContainerMetrics.DiskStat(written.bytes() + m.imageBytes(),
                written.inodes() + m.imageInodes(), written.bytes(), written.inodes());
        return new ContainerMetrics(cgroups.memory(container.group()), cgroups.cpu(container.group()),
                disk, net.stats(), cgroups.pidStat(container.group()), age, 0);
    }

    /** Garden's events: {@code oom} once the kernel's OOM killer has killed a process of the container. */
    List<String> events() {
        return cgroups.oomKills(container.group()) > 0 ? List.of("oom") : List.of();
    }
}
