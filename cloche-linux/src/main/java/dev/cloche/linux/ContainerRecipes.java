package dev.cloche.linux;

import dev.cloche.api.AlreadyExistsException;
import dev.cloche.api.ContainerSpec;
import dev.cloche.api.DiskLimits;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.ImageRef;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.image.PullListener;
import dev.cloche.linux.fs.DiskQuota;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.image.ContainerImages;
import dev.cloche.linux.image.PreparedImage;
import dev.cloche.linux.net.ContainerNet;
import dev.cloche.linux.net.NetRequest;
import dev.cloche.linux.net.Networker;
import dev.cloche.linux.oci.Bundle;
import dev.cloche.linux.oci.BundleInput;
import dev.cloche.linux.oci.BundleJson;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.linux.oci.OciRuntime;
import dev.cloche.linux.oci.SessionKeyring;
import dev.cloche.spi.BackendSpec;
import dev.cloche.spi.RestoredContainer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How containers come to be: the create recipe (depot entry, volume, bundle, runtime, network, each undone in reverse
 * when a later step fails) and the restore of the depot's entries after a restart.
 */
final class ContainerRecipes {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ContainerRecipes.class);
    private final Settings settings;
    private final Depot depot;
    private final ContainerRuntimes runtimes;
    private final ContainerImages images;
    private final Networker networker;
    private final ContainerAssembler assembler;

    /** {@code settings} give the bundle's host paths. */
    ContainerRecipes(Settings settings, Depot depot, ContainerRuntimes runtimes, ContainerImages images,
                     Networker networker, ContainerAssembler assembler) {
        this.settings = settings;
        this.depot = depot;
        this.runtimes = runtimes;
        this.images = images;
        this.networker = networker;
        this.assembler = assembler;
    }

    LinuxContainer create(BackendSpec backendSpec) {
        ContainerSpec spec = backendSpec.spec();
        String handle = backendSpec.handle();
        String id = ContainerIdentity.runtimeId(handle);
        Depot.Entry entry = depot.entry(id);
        // the core owns handles and the container count (ContainerBackend's contract); what only the depot can know
        // is an entry the core does not hold, e.g. what a broken container left
        if (entry.exists()) {
            throw new AlreadyExistsException("the depot already holds an entry for handle '" + handle + "' (" + id
                    + "), which no live container owns");
        }
        long now = System.currentTimeMillis();
        Rollback rollback = new Rollback();
        try {
            ImageRef ref = new ImageRef(spec.imageUri(), spec.image().username(), spec.image().password());
            PreparedImage image = images.acquire(ref, spec.privileged(), handle, PullListener.NONE);
            rollback.add("image hold", () -> images.release(image.id(), handle));
            DepotMeta.ImageUse use = new DepotMeta.ImageUse(image.id(), image.config(), image.bytes(), image.inodes());
            DiskQuota quota = quota(spec.limits().disk(), use);
            entry.create();
            rollback.add("depot entry", entry::delete);
            entry.unfinished("create");
            ContainerRuntimes.Runtime runtime = runtimes.current();
            DepotMeta meta = DepotMeta.of(handle, id, spec.privileged(), spec.env(), now, spec.limits(), use,
                    runtimes.madeWith(runtime));
            entry.writeMeta(meta);

            Volumizer volumizer = assembler.volumizer(spec.privileged());
            rollback.add("overlay", () -> volumizer.destroy(entry.volume()));
            Path rootfs = volumizer.create(image.lowerDirs(), entry.volume(), quota);

            Bundle bundle = BundleRules.build(new BundleInput(id, spec, rootfs, settings.initBinary(), settings.toolBinary(),
                    settings.cgroupParent(), assembler.hostCapabilities()));
            Files.writeString(entry.config(), BundleJson.config(bundle));

            LinuxContainer container = assembler.assemble(meta, entry);
            // registered before create: runtimes leave state and cgroup dirs behind when create fails part-way
            rollback.add("runtime container", container::removeRuntime);
            // One runtime call instead of create + start (about 9 ms less per container, docs/benchmarks.md): the
            // init only waits for signals, so the network can join it after it started, and no Garden process can
            // run in the container before this method returns.
            runtime.oci().runDetached(id, entry.dir(), entry.initPid(), SessionKeyring.of(spec.privileged()));
            attachNetwork(container, spec, id, entry, rootfs, rollback);
            // the init has the root now (and /etc's files are written): out of the host's table, whose size every
            // later runtime call pays for
            volumizer.detach(entry.volume());
            entry.finished();
            return container;
        } catch (GardenException e) {
            throw rollback.unwind(e.kind() == GardenException.Kind.INTERNAL
                    ? DepotSpace.full("cannot create container " + handle, entry.dir().getParent(), e).orElse(e) : e);
        } catch (IOException | RuntimeException e) {
            throw rollback.unwind(DepotSpace.full("cannot create container " + handle, entry.dir().getParent(), e).orElseGet(() ->
                    GardenError.internal("creating container " + handle + " failed: " + e.getMessage(), e)));
        }
    }

    /**
     * Garden's disk limits as a quota on the writable layer. Only hard limits can be enforced (a filesystem of that
     * size); soft limits are recorded and reported but, as in Guardian, not enforced. Scope "total" counts the image
     * too, so the writable layer gets the limit minus the image; "exclusive" counts only what the container writes.
     */
    static DiskQuota quota(DiskLimits disk, DepotMeta.ImageUse image) {
        boolean total = disk.scope() == DiskLimits.DiskLimitScope.TOTAL;
        long bytes = disk.byteHard();
        long inodes = disk.inodeHard();
        if (total && bytes > 0) {
            bytes -= image.bytes();
            if (bytes <= 0) {
                throw new InvalidRequestException("disk limit of " + disk.byteHard() + " bytes is smaller than the image ("
                        + image.bytes() + " bytes); use a larger limit or scope exclusive");
            }
        }
        if (total && inodes > 0) {
            inodes -= image.inodes();
            if (inodes <= 0) {
                throw new InvalidRequestException("inode limit of " + disk.inodeHard() + " is smaller than the image's "
                        + image.inodes() + " inodes; use a larger limit or scope exclusive");
            }
        }
        return new DiskQuota(bytes, inodes);
    }

    /** Network step: plumbed for the created (not yet started) init, so the first process already has it. */
    private void attachNetwork(LinuxContainer container, ContainerSpec spec, String id, Depot.Entry entry, Path rootfs,
                               Rollback rollback) {
        ContainerNet net = networker.attach(new NetRequest(id, BundleRules.hostname(spec.handle()), spec.network(),
                entry.initPid(), entry.network(),
                rootfs, spec.privileged() ? 0 : BundleRules.MAX_UID, spec.netIn(), spec.netOut(), spec.limits().bandwidth()));
        rollback.add("network", net::release);
        container.useNetwork(net);
    }

    /**
     * Every depot entry after a restart: a container its runtime (the one it was made with) still runs is taken back
     * with its network and its processes; any other is reported with why, and its entry kept. Networks of no
     * container are then removed. When a container cannot be kept with this daemon's settings, nothing is taken back
     * and the daemon refuses to start ({@link InvalidRequestException}): a container nothing manages any more would
     * keep running with its mounts, cgroups and address.
     */
    List<RestoredContainer> restore() {
        List<RestoredContainer> out = new ArrayList<>();
        List<ContainerNet> adopted = new ArrayList<>();
        List<Map.Entry<DepotMeta, Depot.Entry>> readable = new ArrayList<>();
        List<String> unkept = new ArrayList<>();
        for (Depot.Entry entry : depot.entries()) {
            DepotMeta meta;
            try {
                meta = entry.readMeta();
            } catch (IOException | RuntimeException e) {
                if (entry.holdsNothingYet()) {
                    // the daemon died inside a create before it recorded anything: no container was made
                    LOG.warn("removing depot entry {}: a create was cut short before it recorded its container", entry.dir());
                    entry.delete();
                    continue;
                }
                out.add(new RestoredContainer(entry.id(), Optional.empty(),
                        Optional.of("unreadable depot entry " + entry.dir() + ": " + e.getMessage())));
                continue;
            }
            Optional<String> why = unkeepable(meta, entry);
            if (why.isPresent()) {
                unkept.add("container " + meta.handle() + ": " + why.get());
                continue;
            }
            readable.add(Map.entry(meta, entry));
        }
        if (!unkept.isEmpty()) {
            throw new InvalidRequestException(unkept.size() + " container(s) in the depot " + settings.depot()
                    + " cannot be kept with this daemon's settings: " + String.join("; ", unkept)
                    + ". Start the daemon with the settings they were made with (and destroy them there), or restore "
                    + "what they need; nothing was changed.");
        }
        Map<ContainerRuntimes.Runtime, Optional<Map<String, OciRuntime.State>>> listed = new HashMap<>();
        for (Map.Entry<DepotMeta, Depot.Entry> e : readable) {
            Found f = find(e.getKey(), e.getValue(), listed);
            DepotMeta meta = f.meta();
            Depot.Entry entry = f.entry();
            Optional<OciRuntime.State> state = f.state();
            if (entry.unfinishedVerb().isPresent()) {
                // a create or a destroy the daemon died inside (its mark is still there): the client never got the
                // container, or asked for it gone; what is left of it goes now, never listed as a container
                removeHalfMade(meta, entry, entry.unfinishedVerb().get()).ifPresent(out::add);
            } else if (state.isPresent() && state.get().status().equals("running")) {
                LinuxContainer container = assembler.assemble(meta, entry);
                images.reacquire(meta.imageId(), meta.privileged(), meta.handle());
                ContainerNet net = networker.adopt(entry.network());
                container.useNetwork(net);
                adopted.add(net);
                container.restoreProcesses();
                out.add(new RestoredContainer(meta.handle(), Optional.of(container), Optional.empty()));
            } else {
                String why = state.map(st -> "container " + meta.id() + " is " + st.status())
                        .orElse("container " + meta.id() + " is unknown to " + f.runtime().name() + " (root "
                                + f.runtime().root() + ")");
                // its overlay, cgroups and entry stay for the user to look at, and go with its destroy
                Runnable leftovers = () -> {
                    images.reacquire(meta.imageId(), meta.privileged(), meta.handle()); // destroy releases the hold
                    assembler.assemble(meta, entry).destroy();
                };
                out.add(new RestoredContainer(meta.handle(), Optional.empty(), Optional.of(why), Optional.of(leftovers)));
            }
        }
        networker.reconcile(adopted);
        return out;
    }

    /**
     * Removes what a create or destroy cut short left of a container (its runtime container and init, overlay,
     * cgroups, process directories, entry; its network goes with the networks of no container). Empty when all is
     * gone; otherwise the container as broken, saying what is left, so destroy can be tried again.
     */
    private Optional<RestoredContainer> removeHalfMade(DepotMeta meta, Depot.Entry entry, String verb) {
        LOG.warn("the daemon died inside the {} of container {}: removing what is left of it", verb, meta.handle());
        try {
            images.reacquire(meta.imageId(), meta.privileged(), meta.handle()); // destroy releases the hold
            assembler.assemble(meta, entry).destroy();
            return Optional.empty();
        } catch (RuntimeException e) {
            LOG.error("cannot remove what is left of container {}: {}", meta.handle(), e.getMessage());
            return Optional.of(new RestoredContainer(meta.handle(), Optional.empty(),
                    Optional.of("cut short in its create or destroy, and what is left could not be removed: " + e.getMessage())));
        }
    }

    /** An entry and what its runtime says of its container. */
    private record Found(DepotMeta meta, Depot.Entry entry, ContainerRuntimes.Runtime runtime,
                         Optional<OciRuntime.State> state) {}

    /**
     * Asks the runtime the container was made with. An entry that does not say which (made before {@link MadeWith})
     * is looked for with each installed runtime, and records the one that knows it. Each runtime lists its containers
     * once per restore ({@code listed}); one whose list fails is asked container by container.
     */
    private Found find(DepotMeta meta, Depot.Entry entry,
                       Map<ContainerRuntimes.Runtime, Optional<Map<String, OciRuntime.State>>> listed) {
        List<ContainerRuntimes.Runtime> candidates = runtimes.candidates(meta.madeWith());
        for (ContainerRuntimes.Runtime r : candidates) {
            Optional<Map<String, OciRuntime.State>> all = listed.computeIfAbsent(r, ContainerRecipes::list);
            Optional<OciRuntime.State> state = all.isPresent() ? Optional.ofNullable(all.get().get(meta.id()))
                    : r.oci().state(meta.id());
            if (state.isEmpty()) continue;
            if (!meta.madeWith().recorded()) {
                meta = meta.withMadeWith(runtimes.madeWith(r));
                try {
                    entry.writeMeta(meta);
                } catch (IOException e) {
                    // it is managed all the same; the next start looks for it again
                    LOG.warn("cannot record the runtime of container {}: {}", meta.handle(), e.getMessage());
                }
            }
            return new Found(meta, entry, r, state);
        }
        return new Found(meta, entry, candidates.getFirst(), Optional.empty());
    }

    private static Optional<Map<String, OciRuntime.State>> list(ContainerRuntimes.Runtime r) {
        try {
            return Optional.of(r.oci().list());
        } catch (RuntimeException e) {
            LOG.warn("cannot list the containers of {} (root {}), asking for each: {}", r.name(), r.root(), e.getMessage());
            return Optional.empty();
        }
    }

    /** Why the container of {@code meta} cannot be kept by this daemon, if so. */
    private Optional<String> unkeepable(DepotMeta meta, Depot.Entry entry) {
        MadeWith m = meta.madeWith();
        Optional<String> runtime = ContainerRuntimes.unusable(m);
        if (runtime.isPresent()) return runtime;
        // its interfaces and nftables rules are named by the prefix it was made with; another prefix (or networking
        // off) would neither manage nor remove them
        String prefix = settings.net().enabled() ? settings.net().prefix() : "";
        if (!m.networkPrefix().isEmpty() && !m.networkPrefix().equals(prefix) && Files.exists(entry.network().state())) {
            return Optional.of("its network was made with networkPrefix " + m.networkPrefix() + ", and this daemon has "
                    + (prefix.isEmpty() ? "networking off (networkPool=none)" : "networkPrefix " + prefix));
        }
        return Optional.empty();
    }
}
