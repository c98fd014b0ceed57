package dev.cloche.linux;

import dev.cloche.linux.fs.ContainerFiles;
import dev.cloche.linux.fs.Volumizer;
import dev.cloche.linux.sys.ProcessTable;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the host reaches one container's files. While its init runs, the overlay is in the init's mount namespace
 * only ({@link Volumizer#detach}), so the files are read through {@code /proc/<init>/root}, which also shows what
 * the container mounted itself. Once no init holds the root (a stopped container), the overlay is mounted on the
 * host again and read there.
 */
final class ContainerRoot {
    private final Depot.Entry entry;
    private final ContainerStatus status;
    private final ProcessTable table;
    private final Volumizer volumizer;

    ContainerRoot(Depot.Entry entry, ContainerStatus status, ProcessTable table, Volumizer volumizer) {
        this.entry = entry;
        this.status = status;
        this.table = table;
        this.volumizer = volumizer;
    }

    /** The container's root directory as its processes see it. */
    Path path() {
        if (!status.stopped()) {
            long init = entry.readInitPid();
            if (init > 0) {
                Path root = table.root(init);
                // a gone init (or a zombie) has no root to follow
                if (Files.isDirectory(root)) return root;
            }
        }
        return volumizer.attach(entry.volume());
    }

    /** Lookups (users, executables) confined to the container's root. */
    ContainerFiles files() {
        return new ContainerFiles(path());
    }
}
