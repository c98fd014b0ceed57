package dev.cloche.linux.sys;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.function.LongPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where the output files of commands go: a directory of this JVM's own, {@code cloche-cmd-<pid>} in the temp
 * directory. A JVM killed while a command ran never deletes that command's files, so the first command of the next
 * JVM removes the directories of JVMs that are gone, and the flat {@code cloche-cmd*.out}/{@code .err} files that
 * versions before this one left there once they are an hour old (a command is killed long before that). The
 * directory stays after an orderly exit too, empty, until the next JVM's sweep: a shutdown hook removing it would run
 * beside the daemon's own shutdown, whose commands still need it.
 */
final class CommandScratch {
    private static final Pattern OWN_DIR = Pattern.compile("cloche-cmd-(\\d+)");
    private static final Pattern FLAT_FILE = Pattern.compile("cloche-cmd\\d+\\.(out|err)");
    static final Duration FLAT_FILE_AGE = Duration.ofHours(1);
    private static volatile Path dir;

    private CommandScratch() {}

    /** This JVM's directory, made (and the leftovers of dead JVMs removed) on first use. */
    static Path dir() throws IOException {
        Path d = dir;
        if (d != null && Files.isDirectory(d)) return d;
        synchronized (CommandScratch.class) {
            if (dir == null || !Files.isDirectory(dir)) {
                Path base = Path.of(System.getProperty("java.io.tmpdir"));
                long pid = ProcessHandle.current().pid();
                sweep(base, p -> p == pid || ProcessHandle.of(p).isPresent(), Instant.now());
                dir = Files.createDirectories(base.resolve("cloche-cmd-" + pid));
            }
            return dir;
        }
    }

    /** A scratch directory holds only files. */
    private static void deleteFlat(Path d) throws IOException {
        try (Stream<Path> files = Files.list(d)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
        }
        Files.deleteIfExists(d);
    }

    /** Removes from {@code base} the directories of processes not {@code alive}, and flat files older than an hour. */
    static void sweep(Path base, LongPredicate alive, Instant now) {
        try (Stream<Path> entries = Files.list(base)) {
            for (Path p : entries.toList()) {
                String name = p.getFileName().toString();
                Matcher own = OWN_DIR.matcher(name);
                try {
                    if (own.matches() && !alive.test(Long.parseLong(own.group(1)))) {
                        deleteFlat(p);
                    } else if (FLAT_FILE.matcher(name).matches()
                            && Files.getLastModifiedTime(p).compareTo(FileTime.from(now.minus(FLAT_FILE_AGE))) < 0) {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException | RuntimeException e) {
                    // another JVM removed it first, or it is not ours to remove: leave it
                }
            }
        } catch (IOException e) {
            // an unreadable temp directory: createTempFile reports it
        }
    }
}
