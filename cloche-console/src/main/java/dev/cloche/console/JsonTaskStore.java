package dev.cloche.console;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * One JSON file per task, {@code <dir>/<task>.json} (0600, in a 0700 directory), written to a temporary file, synced
 * and renamed over the old one, so a crash leaves the old record or the new one, never half of one.
 */
final class JsonTaskStore implements TaskStore {
    private static final Logger log = LoggerFactory.getLogger(JsonTaskStore.class);
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final Base64.Encoder B64 = Base64.getEncoder();
    private static final Base64.Decoder B64D = Base64.getDecoder();

    private final Path dir;

    JsonTaskStore(Path dir) {
        this.dir = dir;
        try {
            if (!Files.isDirectory(dir)) {
                Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the console's task directory " + dir, e);
        }
    }

    @Override
    public void save(TaskRecord r) {
        ObjectNode o = JSON.createObjectNode().put("version", 1).put("task", r.task()).put("handle", r.handle())
                .put("token_salt", B64.encodeToString(r.tokenSalt())).put("token_sha256", B64.encodeToString(r.tokenHash()))
                .put("memory_limit", r.memoryMiB()).put("disk_limit", r.diskMiB()).put("image", r.image())
                .put("allow_forwarding", r.allowForwarding()).put("record", r.record()).put("record_input", r.recordInput());
        r.idleSince().ifPresent(i -> o.put("idle_since", i.toString()));
        Path tmp = dir.resolve("." + r.task() + ".json.tmp");
        try {
            Files.deleteIfExists(tmp);
            try (var ch = Files.newByteChannel(tmp, java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))) {
                ch.write(java.nio.ByteBuffer.wrap(JSON.writeValueAsBytes(o)));
                ((java.nio.channels.FileChannel) ch).force(true);
            }
            Files.move(tmp, file(r.task()), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save console task " + r.task(), e);
        }
    }

    @Override
    public void remove(String task) {
        try {
            Files.deleteIfExists(file(task));
        } catch (IOException e) {
            log.warn("console could not remove the record of task {}: {}", task, e.toString());
        }
    }

    @Override
    public List<TaskRecord> load() {
        List<TaskRecord> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".json")
                    && !f.getFileName().toString().startsWith(".")).sorted().toList()) {
                try {
                    all.add(decode(JSON.readTree(Files.readAllBytes(f))));
                } catch (IOException | JacksonException | IllegalArgumentException | java.time.DateTimeException
                         | MalformedMessageException e) {
                    log.error("console task record {} is unreadable, skipped: {}", f, e.toString());
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the console's task records in " + dir, e);
        }
        return all;
    }

    private static TaskRecord decode(JsonNode n) {
        if (n.path("version").asInt(0) != 1) {
            throw new IllegalArgumentException("unknown record version");
        }
        JsonNode idle = n.path("idle_since");
        return new TaskRecord(text(n, "task"), text(n, "handle"), B64D.decode(text(n, "token_salt")),
                B64D.decode(text(n, "token_sha256")), n.path("memory_limit").asLong(0), n.path("disk_limit").asLong(0),
                n.path("image").asString(""), n.path("allow_forwarding").asBoolean(false), n.path("record").asBoolean(false),
                n.path("record_input").asBoolean(false),
                idle.isString() ? Optional.of(Instant.parse(idle.asString())) : Optional.empty());
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isString()) {
            throw new IllegalArgumentException(field + " missing");
        }
        return v.asString();
    }

    private Path file(String task) {
        TaskCodec.requireTaskId(task); // a task id is a safe file name: no '/', never '.' or '..'
        return dir.resolve(task + ".json");
    }
}
