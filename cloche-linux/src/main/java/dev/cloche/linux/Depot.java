package dev.cloche.linux;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.fs.VolumeLayout;
import dev.cloche.linux.net.NetFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * The one place that knows where things live on disk; everything else asks it for paths.
 *
 * <pre>
 * &lt;depot&gt;/containers/&lt;id&gt;/   a container's entry: meta.json, config.json, init.pid, helpers/, its volume (and
 *                                  overlay, its mount options), its network's files
 * &lt;depot&gt;/containers/&lt;id&gt;/peas/&lt;pea id&gt;/   a pea's bundle, record, /etc copies and volume (docs/peas.md)
 * &lt;depot&gt;/images/              the image store (layers/, records/, flat/, tmp/: docs/images.md) and, beside
 *                                  it, uid-shifted copies of directory images for user-namespaced containers
 * &lt;processRoot&gt;/&lt;id&gt;/&lt;n&gt;/     a process directory (docs/process-monitor.md §2), on a tmpfs of its own
 * &lt;depot&gt;/containers/&lt;id&gt;/p/&lt;n&gt;/  process directories of the earlier layout: restored, never created
 * </pre>
 */
final class Depot {
    private static final Logger LOG = LoggerFactory.getLogger(Depot.class);
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    private final Path root;
    private final Path containers;
    private final Path processRoot;

    Depot(Path root, Path processRoot) {
        this.root = root;
        this.containers = root.resolve("containers");
        this.processRoot = processRoot;
    }

    /** The defaults of settings that live in the depot unless configured elsewhere. */
    static Path defaultInitBinary(Path depot) {
        return depot.resolve("bin/cloche-init");
    }

    static Path defaultRootfs(Path depot) {
        return depot.resolve("rootfs");
    }

    static Path defaultProcessRoot(Path depot) {
        return depot.resolve("processes");
    }

    /**
     * Creates the containers directory. An unprivileged container's root is an unmapped host uid (4294967294): the
     * kernel checks its search permission on every directory down to the rootfs, so the depot must be traversable by
     * "others" (x only, never r).
     */
    void prepare() throws IOException {
        Files.createDirectories(containers);
        ensureTraversable(root);
        ensureTraversable(containers);
        for (Path p = root.toAbsolutePath().getParent(); p != null; p = p.getParent()) {
            if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                throw new InvalidRequestException("depot " + root + " is not reachable by unprivileged"
                        + " containers: " + p + " lacks search permission for others (chmod o+x " + p + ")");
            }
        }
    }

    private static void ensureTraversable(Path dir) throws IOException {
        Set<PosixFilePermission> perms = Files.getPosixFilePermissions(dir);
        if (perms.add(PosixFilePermission.OTHERS_EXECUTE)) {
            Files.setPosixFilePermissions(dir, perms);
        }
    }

    Path root() {
        return root;
    }

    Path images() {
        return root.resolve("images");
    }

    Path processRoot() {
        return processRoot;
    }

    /** A pid as the runtime or the monitor recorded it in {@code file}; -1 when there is none or it is unreadable. */
    static long readPid(Path file) {
        try {
            String s = Files.readString(file).strip();
            return s.isEmpty() ? -1 : Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    Entry entry(String id) {
        return new Entry(containers.resolve(id), processRoot.resolve(id));
    }

    /** Every container entry, in name order. */
    List<Entry> entries() {
        try (Stream<Path> st = Files.list(containers)) {
            return st.filter(Files::isDirectory).sorted().map(d -> entry(d.getFileName().toString())).toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /**
     * One container's entry and where its processes' directories are.
     *
     * @param dir the entry, {@code <depot>/containers/<id>}
     * @param processes its process directories, {@code <processRoot>/<id>}
     */
    record Entry(Path dir, Path processes) {
        /** Where process directories were kept before they moved to the process root. */
        static final String LEGACY_PROCESSES = "p";

        String id() {
            return dir.getFileName().toString();
        }

        /** Makes the entry; fails if it exists. */
        void create() throws IOException {
            Files.createDirectory(dir);
        }

        boolean exists() {
            return Files.exists(dir);
        }

        void delete() {
            Trees.deleteRecursively(dir);
        }

        /**
         * Marks the entry as inside a create or destroy ({@code verb}) until {@link #finished}: a restart that finds
         * the mark and no runtime container knows the daemon died inside it, and removes what is left. An entry without
         * it (e.g. after a host reboot emptied the runtime's state) keeps its data.
         */
        void unfinished(String verb) throws IOException {
            Files.writeString(dir.resolve("unfinished"), verb);
        }

        void finished() throws IOException {
            Files.deleteIfExists(dir.resolve("unfinished"));
        }

        /**
         * True when a create was cut before it recorded the container: no {@code meta.json}, and nothing in the entry
         * but the mark and a half-written record. The create writes the record before anything else is made.
         */
        boolean holdsNothingYet() {
            if (Files.exists(dir.resolve("meta.json"))) return false;
            try (Stream<Path> files = Files.list(dir)) {
                return files.allMatch(f -> Set.of("unfinished", "meta.json.tmp").contains(f.getFileName().toString()));
            } catch (IOException e) {
                return false;
            }
        }

        /** The verb a daemon died inside, if it did. */
        Optional<String> unfinishedVerb() {
            try {
                return Optional.of(Files.readString(dir.resolve("unfinished")).strip());
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        /** The bundle's OCI config, written once by the create recipe. */
        Path config() {
            return dir.resolve("config.json");
        }

        /** Where the runtime writes the pid of the container's init. */
        Path initPid() {
            return dir.resolve("init.pid");
        }

        /** The pid of the container's init as the runtime recorded it, -1 when there is none. */
        long readInitPid() {
            return readPid(initPid());
        }

        DepotMeta readMeta() throws IOException {
            return JSON.readValue(Files.readString(dir.resolve("meta.json")), DepotMeta.class);
        }

        /** The only writer of {@code meta.json}: by rename, so a reader (a restart) never sees half of it. */
        void writeMeta(DepotMeta meta) throws IOException {
            Path tmp = dir.resolve("meta.json.tmp");
            Files.writeString(tmp, JSON.writeValueAsString(meta));
            Files.move(tmp, dir.resolve("meta.json"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }

        /** The files of the {@code n}th command run in the container with {@code runtime exec}. */
        ExecFiles exec(long n) {
            Path helpers = dir.resolve("helpers");
            return new ExecFiles(helpers, helpers.resolve(n + ".json"), helpers.resolve(n + ".pid"));
        }

        /** The files of the {@code n}th stream-in/out tar, a directory of its own. */
        TarFiles tar(long n) {
            Path d = dir.resolve("helpers").resolve("t" + n);
            return new TarFiles(d, d.resolve("config.json"), d.resolve("process.json"), d.resolve("pid"));
        }

        VolumeLayout volume() {
            Path disk = dir.resolve("disk");
            return new VolumeLayout(dir.resolve("merged"), dir.resolve("upper"), dir.resolve("work"), dir.resolve("disk.img"),
                    disk, disk.resolve("upper"), disk.resolve("work"), dir.resolve("overlay"));
        }

        NetFiles network() {
            return new NetFiles(dir, dir.resolve("network.json"), dir.resolve("network.json.tmp"),
                    dir.resolve("net-host.ip"), dir.resolve("net-container.ip"));
        }

        /** Where the peas of this container keep their bundles and volumes. */
        Path peas() {
            return dir.resolve("peas");
        }

        /** The files of the pea whose runtime container is {@code peaId}. */
        PeaFiles pea(String peaId) {
            Path d = peas().resolve(peaId);
            Path disk = d.resolve("disk");
            return new PeaFiles(peaId, d, d.resolve("config.json"), d.resolve("pea.json"), d.resolve("hosts"),
                    d.resolve("resolv.conf"), new VolumeLayout(d.resolve("merged"), d.resolve("upper"), d.resolve("work"),
                    d.resolve("disk.img"), disk, disk.resolve("upper"), disk.resolve("work"), d.resolve("overlay")));
        }

        /** The directory of the process started {@code seq}th; short, since the console socket's path must fit 107 bytes. */
        ProcessDir process(long seq) {
            return new ProcessDir(processes.resolve(Long.toString(seq)));
        }

        /** Process directories in start order: those of the earlier layout first, as they are older. */
        List<ProcessDir> processDirs() {
            return Stream.concat(processDirs(legacyProcesses()).stream(), processDirs(processes).stream()).toList();
        }

        Path legacyProcesses() {
            return dir.resolve(LEGACY_PROCESSES);
        }

        private static List<ProcessDir> processDirs(Path root) {
            try (Stream<Path> st = Files.list(root)) {
                return st.filter(d -> d.getFileName().toString().matches("\\d+"))
                        .sorted(Comparator.comparingLong(d -> Long.parseLong(d.getFileName().toString())))
                        .map(ProcessDir::new).toList();
            } catch (NoSuchFileException e) {
                return List.of();
            } catch (IOException e) {
                LOG.error("cannot list the process directories in {}: {}", root, e.toString());
                return List.of();
            }
        }
    }

    /**
     * One pea (docs/peas.md): its runtime container's bundle ({@code dir} with {@code config.json}), what a restart
     * needs to find it again ({@code record}), the copies of the container's /etc/hosts and /etc/resolv.conf it
     * sees, and its own volume.
     */
    record PeaFiles(String id, Path dir, Path config, Path record, Path hosts, Path resolvConf, VolumeLayout volume) {
        PeaRecord readRecord() throws IOException {
            return JSON.readValue(Files.readString(record), PeaRecord.class);
        }

        /** By rename, so a restart never reads half of it. */
        void writeRecord(PeaRecord r) throws IOException {
            Path tmp = dir.resolve("pea.json.tmp");
            Files.writeString(tmp, JSON.writeValueAsString(r));
            Files.move(tmp, record, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** The pea directories of {@code entry}, by pea id (runtime container id). */
    static List<String> peaIds(Entry entry) {
        try (Stream<Path> st = Files.list(entry.peas())) {
            return st.filter(Files::isDirectory).map(d -> d.getFileName().toString()).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            LOG.error("cannot list the peas in {}: {}", entry.peas(), e.toString());
            return List.of();
        }
    }

    /** A command run with {@code runtime exec}: its process spec and pid file, in {@code helpers}. */
    record ExecFiles(Path helpers, Path processJson, Path pid) {}

    /** A tar in its own directory: a one-shot bundle's config or an exec's process spec, and the pid file. */
    record TarFiles(Path dir, Path config, Path processJson, Path pid) {}

    /**
     * One process directory (docs/process-monitor.md §2): the monitor's files, and two of ours, the Garden process id
     * and a marker for a TTY.
     */
    record ProcessDir(Path dir) {
        static final String ID_FILE = "id";

        long seq() {
            return Long.parseLong(dir.getFileName().toString());
        }

        Path id() { return dir.resolve(ID_FILE); }
        /** Names the pea's runtime container when the process is a pea; absent otherwise. */
        Path pea() { return dir.resolve("pea"); }
        Path tty() { return dir.resolve("tty"); }
        Path processJson() { return dir.resolve("process.json"); }
        Path pid() { return dir.resolve("pid"); }
        Path monitorPid() { return dir.resolve("monitor.pid"); }
        Path exit() { return dir.resolve("exit"); }
        Path stdout() { return dir.resolve("stdout"); }
        Path stderr() { return dir.resolve("stderr"); }
        Path stdin() { return dir.resolve("stdin"); }
        Path ctl() { return dir.resolve("ctl"); }
        Path runtimeLog() { return dir.resolve("runtime.log"); }
        Path consoleSocket() { return dir.resolve("console.sock"); }
    }
}
