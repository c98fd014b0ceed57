package dev.cloche.audit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Reads an audit log and its rotated files, oldest first, and optionally follows it as it grows and rotates (a
 * {@code tail -F}). Lines that are not records (a partial line while it is being written is held back until its
 * newline) are skipped.
 */
public final class AuditReader {
    private static final Duration POLL = Duration.ofMillis(200);

    /** A record and the line it was read from. */
    public record Entry(String line, AuditRecord record) {
    }

    private final Path file;
    private final AuditFilter filter;
    private final Consumer<Entry> out;

    public AuditReader(Path file, AuditFilter filter, Consumer<Entry> out) {
        this.file = Objects.requireNonNull(file, "file");
        this.filter = Objects.requireNonNull(filter, "filter");
        this.out = Objects.requireNonNull(out, "out");
    }

    /** Everything kept: the rotated files (highest number, the oldest, first), then the log itself. */
    public void readAll() throws IOException {
        for (Path p : files()) {
            try (FileChannel ch = FileChannel.open(p)) {
                new Lines(ch).drain();
            } catch (NoSuchFileException rotatedMeanwhile) {
                // it moved to the next number while we read the newer ones: its records are in the next file read
            }
        }
    }

    /**
     * {@link #readAll()}, then every record appended later, across rotations, until {@code stop} says so (checked
     * between polls).
     */
    public void follow(BooleanSupplier stop) throws IOException, InterruptedException {
        List<Path> all = files();
        for (Path p : all.subList(0, all.size() - 1)) {
            try (FileChannel ch = FileChannel.open(p)) {
                new Lines(ch).drain();
            } catch (NoSuchFileException ignored) {
                // rotated while reading
            }
        }
        FileChannel ch = openWhenPresent(stop);
        if (ch == null) {
            return;
        }
        try {
            Lines lines = new Lines(ch);
            Object key = key(file);
            while (!stop.getAsBoolean()) {
                lines.drain();
                Object now = key(file);
                if (now != null && !now.equals(key)) {
                    // rotated: what was written to the old file before the move is read to its end, then any file
                    // rotated in after it (more than one rotation between two polls), then the new one
                    lines.drain();
                    ch.close();
                    readRotatedAfter(key);
                    ch = FileChannel.open(file);
                    lines = new Lines(ch);
                    key = now;
                    continue;
                }
                Thread.sleep(POLL);
            }
        } finally {
            ch.close();
        }
    }

    /** The rotated files newer than the one whose file key is {@code done}, oldest first. */
    private void readRotatedAfter(Object done) throws IOException {
        List<Path> rotated = files().subList(0, files().size() - 1); // oldest first
        int at = -1;
        for (int i = 0; i < rotated.size(); i++) {
            if (done.equals(key(rotated.get(i)))) {
                at = i;
            }
        }
        for (Path p : rotated.subList(at + 1, rotated.size())) {
            if (at < 0) {
                break; // the file we read is gone from the rotated ones altogether: nothing newer is known to be missed
            }
            try (FileChannel ch = FileChannel.open(p)) {
                new Lines(ch).drain();
            } catch (NoSuchFileException ignored) {
                // rotated away meanwhile
            }
        }
    }

    private FileChannel openWhenPresent(BooleanSupplier stop) throws IOException, InterruptedException {
        while (!stop.getAsBoolean()) {
            try {
                return FileChannel.open(file);
            } catch (NoSuchFileException e) {
                Thread.sleep(POLL);
            }
        }
        return null;
    }

    private List<Path> files() {
        List<Path> rotated = new ArrayList<>();
        for (int n = 1; Files.exists(file.resolveSibling(file.getFileName() + "." + n)); n++) {
            rotated.add(file.resolveSibling(file.getFileName() + "." + n));
        }
        List<Path> all = new ArrayList<>(rotated.reversed());
        all.add(file);
        return all;
    }

    private static Object key(Path p) {
        try {
            return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
        } catch (IOException e) {
            return null;
        }
    }

    /** Whole lines of a channel, from where it was last read. */
    private final class Lines {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(64 << 10);
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        Lines(FileChannel ch) {
            this.ch = ch;
        }

        void drain() throws IOException {
            while (ch.read(buf.clear()) > 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    byte b = buf.get();
                    if (b == '\n') {
                        emit(partial.toString(StandardCharsets.UTF_8));
                        partial.reset();
                    } else {
                        partial.write(b);
                    }
                }
            }
        }

        private void emit(String line) {
            Optional<AuditRecord> r = AuditJson.decode(line);
            if (r.isPresent() && filter.test(r.get())) {
                out.accept(new Entry(line, r.get()));
            }
        }
    }
}
