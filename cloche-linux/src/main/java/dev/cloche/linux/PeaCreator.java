package dev.cloche.linux;

import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.GardenException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.image.PullListener;
import dev.cloche.linux.fs.ContainerFiles;
import dev.cloche.linux.fs.DiskQuota;
import dev.cloche.linux.fs.RootedFiles;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.image.ContainerImages;
import dev.cloche.linux.image.PreparedImage;
import dev.cloche.linux.oci.Bundle;
import dev.cloche.linux.oci.BundleJson;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.linux.oci.OciProcess;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Starts a process in an image of its own, a pea (docs/peas.md, Guardian's {@code PeaCreator}): a runtime container
 * of its own on an overlay of its image, made from the container's bundle, joining every namespace of the container
 * but the mount namespace, run under {@code cloche-monitor} like any process. Nothing of it is left when the start
 * fails; once its process has exited, {@link PeaCleaner} removes it.
 */
final class PeaCreator {
    /** The container's /etc files a pea sees, copied at its start; larger ones are not copied. */
    private static final List<String> ETC_FILES = List.of("/etc/hosts", "/etc/resolv.conf");
    private static final int ETC_FILE_MAX = 1 << 20;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ContainerIdentity container;
    private final Depot.Entry entry;
    private final ContainerRoot root;
    private final List<String> capabilities;
    private final ContainerImages images;
    private final Volumizer volumizer;
    private final ProcessSupervisor processes;
    private final PeaCleaner cleaner;

    /** {@code capabilities}: the container's set, which its peas get as well. */
    PeaCreator(ContainerIdentity container, Depot.Entry entry, ContainerRoot root, List<String> capabilities, ContainerImages images,
               Volumizer volumizer, ProcessSupervisor processes, PeaCleaner cleaner) {
        this.container = container;
        this.entry = entry;
        this.root = root;
        this.capabilities = List.copyOf(capabilities);
        this.images = images;
        this.volumizer = volumizer;
        this.processes = processes;
        this.cleaner = cleaner;
    }

    /** The pea's store holder: one per process, so each pea holds and releases its image on its own. */
    static String holder(String handle, String processId) {
        return handle + "/pea/" + processId;
    }

    BackendProcess start(ProcessSpec spec) {
        String peaId = container.id() + "-pea-" + HexFormat.of().formatHex(randomBytes());
        String holder = holder(container.handle(), spec.id());
        Rollback rollback = new Rollback();
        try {
            PreparedImage image = images.acquire(spec.image(), container.privileged(), holder, PullListener.NONE);
            rollback.add("image hold", () -> images.release(image.id(), holder));
            Depot.PeaFiles files = entry.pea(peaId);
            Files.createDirectories(files.dir());
            String group = group(peaId, spec.limits().isPresent());
            files.writeRecord(new PeaRecord(peaId, spec.id(), image.id(), holder, group));
            // from here the cleaner knows everything of the pea, the image hold included
            rollback = new Rollback();
            rollback.add("pea", () -> cleaner.clean(peaId));
            Path rootfs = volumizer.create(image.lowerDirs(), files.volume(), DiskQuota.NONE);

            ContainerFiles peaFiles = new ContainerFiles(rootfs);
            // Guardian's pea defaults: root, in /, with the image's env (never the container's) under the spec's
            OciProcessBuilder builder = new OciProcessBuilder(BundleRules.layerEnv(image.config().env(), List.of()),
                    capabilities, "", "/");
            ContainerFiles.User user = user(peaFiles, builder.user(spec), spec);
            OciProcess process = builder.process(spec, user);
            if (peaFiles.findExecutable(spec.path(), process.cwd(), OciProcessBuilder.path(process.env())).isEmpty()) {
                throw new ExecutableNotFoundException("exec: \"" + spec.path() + "\": executable file not found in $PATH");
            }
            Bundle containerBundle = BundleJson.read(Files.readString(entry.config()));
            Bundle bundle = BundleRules.pea(containerBundle, new BundleRules.Pea(rootfs, group, spec.limits(),
                    etcFiles(files), spec.bindMounts(), process));
            long init = entry.readInitPid();
            if (init <= 0) throw GardenError.internal("container " + container.handle() + " has no init pid recorded");
            Files.writeString(files.config(), BundleJson.config(bundle, BundleRules.peaNamespacePaths(containerBundle, init)));
            // a pea within the container's limits starts inside them: its start is judged by the container's cgroup
            String startGroup = spec.limits().isPresent() ? group : container.group();
            return processes.startPea(spec.id(), process, peaId, files.dir(), startGroup);
        } catch (GardenException e) {
            throw rollback.unwind(e);
        } catch (IOException | RuntimeException e) {
            throw rollback.unwind(GardenError.internal("cannot start pea " + spec.id() + " in " + container.handle() + ": "
                    + e.getMessage(), e));
        }
    }

    private static byte[] randomBytes() {
        byte[] b = new byte[4];
        RANDOM.nextBytes(b);
        return b;
    }

    /**
     * Within the container's limits the pea's cgroup is a child of the container's; with limits of its own it sits
     * beside the container's, under the same parent (Guardian's placement).
     */
    private String group(String peaId, boolean ownLimits) {
        String g = container.group();
        return ownLimits ? g.substring(0, g.lastIndexOf('/')) + "/" + peaId : g + "/" + peaId;
    }

    /** Names resolve in the pea's own /etc/passwd; a name it lacks is an error that says whose file it was. */
    private static ContainerFiles.User user(ContainerFiles files, String name, ProcessSpec spec) {
        try {
            return files.user(name);
        } catch (GardenException e) {
            throw GardenError.internal("cannot run " + spec.path() + " as user '" + name + "' in image " + spec.image().uri()
                    + ": " + e.getMessage().replace("the container's", "the image's"), e);
        }
    }

    /**
     * Copies the container's /etc/hosts and /etc/resolv.conf into the pea's directory, read confined to the
     * container's root, so that the pea sees them (bound read-only) and a symlink there cannot name a host file.
     */
    private Map<String, Path> etcFiles(Depot.PeaFiles files) throws IOException {
        Map<String, Path> out = new LinkedHashMap<>();
        Path containerRoot = root.path();
        for (String path : ETC_FILES) {
            Optional<byte[]> content = RootedFiles.readRegular(containerRoot, path, ETC_FILE_MAX);
            if (content.isEmpty()) continue;
            Path copy = path.endsWith("hosts") ? files.hosts() : files.resolvConf();
            Files.write(copy, content.get());
            out.put(path, copy);
        }
        return out;
    }
}
