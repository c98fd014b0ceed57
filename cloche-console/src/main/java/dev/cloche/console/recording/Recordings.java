package dev.cloche.console.recording;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The recordings directory: {@code <dir>/<task>/<session>.cast}, directories 0700 and files 0600 (a recording holds
 * whatever the session showed, and with input recorded what was typed, passwords included). A session's name is its
 * start time (UTC) and a sequence number, so names sort by time and never collide within one agent.
 */
public final class Recordings {
    private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS'Z'").withZone(ZoneOffset.UTC);
    private static final AtomicLong SEQ = new AtomicLong();

    /** One recording file. */
    public record RecordingFile(String task, String session, Path path, long bytes, Instant started) {}

    private final Path dir;
    private final Clock clock;

    public Recordings(Path dir, Clock clock) {
        this.dir = dir;
        this.clock = clock;
    }

    /** Starts the recording of a new session of {@code task}; its file exists (0600) when this returns. */
    public SessionRecording open(String task, int columns, int rows, Map<String, String> env, boolean recordInput) {
        Instant now = clock.instant();
        String session = NAME.format(now) + "-" + SEQ.incrementAndGet();
        Path taskDir = dir.resolve(task);
        Path file = taskDir.resolve(session + ".cast");
        try {
            createPrivateDirectories(taskDir);
            Writer w = new OutputStreamWriter(Channels.newOutputStream(Files.newByteChannel(file,
                    java.util.Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")))),
                    StandardCharsets.UTF_8);
            return new AsciicastRecording(w, task + "/" + session, columns, rows, now, env, recordInput, System::nanoTime);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the session in " + file, e);
        }
    }

    private void createPrivateDirectories(Path taskDir) throws IOException {
        for (Path d : List.of(dir, taskDir)) {
            if (!Files.isDirectory(d)) {
                Files.createDirectories(d, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            }
        }
    }

    /** Every recording (of {@code task} only, when given), oldest first. A missing directory has none. */
    public static List<RecordingFile> list(Path dir, Optional<String> task) {
        List<RecordingFile> all = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(dir)) {
            for (Path t : tasks.filter(Files::isDirectory).toList()) {
                String name = t.getFileName().toString();
                if (task.isPresent() && !task.get().equals(name)) {
                    continue;
                }
                try (Stream<Path> files = Files.list(t)) {
                    for (Path f : files.filter(f -> f.getFileName().toString().endsWith(".cast")).toList()) {
                        String file = f.getFileName().toString();
                        all.add(new RecordingFile(name, file.substring(0, file.length() - ".cast".length()), f,
                                Files.size(f), started(f)));
                    }
                }
            }
        } catch (NoSuchFileException none) {
            return List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the recordings in " + dir, e);
        }
        all.sort(Comparator.comparing(RecordingFile::started).thenComparing(RecordingFile::session));
        return all;
    }

    /** The header's timestamp; the file's modification time if the header is unreadable. */
    private static Instant started(Path f) throws IOException {
        try (BufferedReader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
            String header = r.readLine();
            JsonNode ts = header == null ? null : JsonMapper.builder().build().readTree(header).get("timestamp");
            if (ts != null && ts.isNumber()) {
                return Instant.ofEpochSecond(ts.asLong());
            }
        } catch (JacksonException bad) {
            // fall through
        }
        return Files.getLastModifiedTime(f).toInstant();
    }
}
