package dev.cloche.linux.image;

import dev.cloche.linux.fs.Trees;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every path of the layer store, and its JSON files. Under the root:
 * <pre>
 *   layers/sha256/HEX/diff            a layer, extracted (HEX: its diff id)
 *   layers/sha256/HEX/layer.json      its {@link LayerRecord}
 *   layers/sha256/HEX/shifted-UID     its copy with ids 0 shifted to UID
 *   records/ID.json                   an image's {@link ImageRecord}
 *   flat/ID/diff, flat/ID/shifted-UID an image flattened into one tree (when its layers do not fit a mount)
 *   tmp/                              work in progress: renamed into place when complete, emptied at start
 * </pre>
 * Everything appears by a rename from {@code tmp/} and goes by a rename into it, so a crash leaves either the whole
 * thing or nothing (plus garbage in {@code tmp/}). Other names under the root are not the store's and are left alone.
 */
final class StoreLayout {
    private static final Logger LOG = LoggerFactory.getLogger(StoreLayout.class);
    private static final ObjectMapper JSON = JsonMapper.builder().build();

    final Path root;
    final Path layers;
    final Path records;
    final Path flat;
    final Path tmp;

    StoreLayout(Path root) {
        this.root = root;
        this.layers = root.resolve("layers").resolve("sha256");
        this.records = root.resolve("records");
        this.flat = root.resolve("flat");
        this.tmp = root.resolve("tmp");
    }

    /** Creates the directories and empties {@code tmp/} (what an interrupted pull or removal left). */
    void open() throws IOException {
        for (Path p : List.of(layers, records, flat, tmp)) Files.createDirectories(p);
        for (Path stale : list(tmp)) {
            LOG.info("removing {} left by an interrupted pull or removal", stale);
            Trees.deleteRecursively(stale);
        }
    }

    Path layer(String hex) {
        return layers.resolve(hex);
    }

    Path layerDiff(String hex) {
        return layer(hex).resolve("diff");
    }

    Path layerShifted(String hex, long uid) {
        return layer(hex).resolve("shifted-" + uid);
    }

    Path flat(String id) {
        return flat.resolve(id);
    }

    Path flatTree(String id, boolean privileged, long uid) {
        return flat(id).resolve(privileged ? "diff" : "shifted-" + uid);
    }

    Path record(String id) {
        return records.resolve(id + ".json");
    }

    /** A new empty directory under {@code tmp/}. */
    Path newTemp() throws IOException {
        return Files.createDirectory(tmp.resolve(UUID.randomUUID().toString()));
    }

    /** Renames a completed {@code tmp/} entry into place; false if something is already there. */
    static boolean commit(Path from, Path to) throws IOException {
        Files.createDirectories(to.getParent());
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE);
            return true;
        } catch (java.nio.file.FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
            return false;
        }
    }

    /** Moves {@code p} out of sight into {@code tmp/}, for deleting later; absent already is fine. */
    Optional<Path> retire(Path p) throws IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return Optional.empty();
        Path to = tmp.resolve(UUID.randomUUID().toString());
        Files.move(p, to, StandardCopyOption.ATOMIC_MOVE);
        return Optional.of(to);
    }

    void writeJson(Path file, Object value) throws IOException {
        Path t = file.resolveSibling("." + file.getFileName() + ".tmp");
        try {
            Files.write(t, JSON.writeValueAsBytes(value));
        } catch (JacksonException e) {
            throw new IOException("cannot write " + file + ": " + e.getMessage(), e);
        }
        Files.move(t, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    <T> Optional<T> readJson(Path file, Class<T> type) {
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(file), type));
        } catch (java.nio.file.NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | JacksonException | IllegalArgumentException e) {
            LOG.warn("ignoring unreadable {}: {}", file, e.getMessage());
            return Optional.empty();
        }
    }

    static List<Path> list(Path dir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) return out;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) out.add(p);
        }
        return out;
    }
}
