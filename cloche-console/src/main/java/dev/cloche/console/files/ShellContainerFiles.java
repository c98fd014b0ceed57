package dev.cloche.console.files;

import dev.cloche.api.Container;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenException;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * {@link ContainerFiles} by small POSIX shell scripts run as processes in the container ({@code /bin/sh}, {@code stat},
 * {@code cat}, {@code mkdir}, {@code mv}, {@code rm}, {@code rmdir}, {@code chmod}, {@code touch}: busybox has them
 * all). Paths travel as arguments, never inside the script text, and resolve in the container's mount namespace, as
 * the task's shell sees them: nothing here can name a host file. The scripts check the conditions SFTP reports
 * (missing, exists, not empty, ...) first and exit with a code of their own for each.
 */
public final class ShellContainerFiles implements ContainerFiles {
    private static final int MISSING = 90;
    private static final int EXISTS = 91;
    private static final int NOT_DIRECTORY = 92;
    private static final int IS_DIRECTORY = 93;
    private static final int NOT_EMPTY = 94;
    private static final String STAT = "stat -c '%f %s %u %g %X %Y'";
    private static final String PRESENT = "{ [ -e \"$1\" ] || [ -L \"$1\" ]; }";

    private final Container container;

    public ShellContainerFiles(Container container) {
        this.container = container;
    }

    @Override
    public Optional<FileStat> stat(String path, boolean follow) throws IOException {
        String out = text(run(PRESENT + " || exit " + MISSING + "; exec " + STAT + (follow ? " -L" : "") + " -- \"$1\"",
                List.of(path), Optional.empty(), Optional.empty()), path);
        return out.isEmpty() ? Optional.empty() : Optional.of(FileStat.parse(out));
    }

    @Override
    public List<Entry> list(String directory) throws IOException {
        // a record per entry: the stat line, a newline, the name, a NUL (names may hold newlines, never NULs)
        String script = "[ -e \"$1\" ] || exit " + MISSING + "; [ -d \"$1\" ] || exit " + NOT_DIRECTORY + "; cd \"$1\" || exit 1\n"
                + "for f in * .[!.]* ..?*; do\n"
                + "  if [ -e \"$f\" ] || [ -L \"$f\" ]; then " + STAT + " -- \"$f\" && printf '%s\\0' \"$f\"; fi\n"
                + "done";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        check(run(script, List.of(directory), Optional.empty(), Optional.of(out)), directory, Optional.empty());
        List<Entry> entries = new ArrayList<>();
        String all = out.toString(StandardCharsets.UTF_8);
        int start = 0;
        for (int nul = all.indexOf('\0'); nul >= 0; start = nul + 1, nul = all.indexOf('\0', start)) {
            String record = all.substring(start, nul);
            int newline = record.indexOf('\n');
            entries.add(new Entry(record.substring(newline + 1), FileStat.parse(record.substring(0, newline))));
        }
        return entries;
    }

    @Override
    public void read(String path, OutputStream to) throws IOException {
        check(run(PRESENT + " || exit " + MISSING + "; [ -d \"$1\" ] && exit " + IS_DIRECTORY + "; exec cat -- \"$1\"",
                List.of(path), Optional.empty(), Optional.of(to)), path, Optional.empty());
    }

    @Override
    public void write(String path, InputStream from) throws IOException {
        check(run("[ -d \"$1\" ] && exit " + IS_DIRECTORY + "; [ -d \"$(dirname -- \"$1\")\" ] || exit " + MISSING
                + "; exec cat > \"$1\"", List.of(path), Optional.of(from), Optional.empty()), path, Optional.empty());
    }

    @Override
    public void createDirectory(String path) throws IOException {
        simple(PRESENT + " && exit " + EXISTS + "; [ -d \"$(dirname -- \"$1\")\" ] || exit " + MISSING + "; exec mkdir -- \"$1\"",
                path, Optional.empty());
    }

    @Override
    public void delete(String path) throws IOException {
        simple(PRESENT + " || exit " + MISSING + "\n"
                + "if [ -d \"$1\" ] && [ ! -L \"$1\" ]; then [ -z \"$(ls -A -- \"$1\")\" ] || exit " + NOT_EMPTY + "; exec rmdir -- \"$1\"; fi\n"
                + "exec rm -f -- \"$1\"", path, Optional.empty());
    }

    @Override
    public void rename(String from, String to, boolean replace) throws IOException {
        String script = PRESENT + " || exit " + MISSING + "; "
                + (replace ? "" : "{ [ -e \"$2\" ] || [ -L \"$2\" ]; } && exit " + EXISTS + "; ")
                + "exec mv -f -- \"$1\" \"$2\"";
        check(run(script, List.of(from, to), Optional.empty(), Optional.empty()), from, Optional.of(to));
    }

    @Override
    public void chmod(String path, int mode) throws IOException {
        check(run(PRESENT + " || exit " + MISSING + "; exec chmod \"$2\" -- \"$1\"",
                List.of(path, Integer.toOctalString(mode & 07777)), Optional.empty(), Optional.empty()), path, Optional.empty());
    }

    @Override
    public void setModifiedTime(String path, long epochSeconds) throws IOException {
        check(run(PRESENT + " || exit " + MISSING + "; exec touch -c -m -d \"@$2\" -- \"$1\"",
                List.of(path, Long.toString(epochSeconds)), Optional.empty(), Optional.empty()), path, Optional.empty());
    }

    private void simple(String script, String path, Optional<String> other) throws IOException {
        check(run(script, List.of(path), Optional.empty(), Optional.empty()), path, other);
    }

    private record Outcome(int exit, String stdout, String stderr) {}

    private String text(Outcome o, String path) throws IOException {
        if (o.exit() == MISSING) {
            return "";
        }
        check(o, path, Optional.empty());
        return o.stdout();
    }

    /** Runs {@code /bin/sh -c script sh args...}; stdout goes to {@code out} when given, else is kept as text. */
    private Outcome run(String script, List<String> args, Optional<InputStream> in, Optional<OutputStream> out)
            throws IOException {
        List<String> argv = new ArrayList<>(List.of("-c", script, "sh"));
        argv.addAll(args);
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try (Process p = container.run(ProcessSpec.of("/bin/sh", argv.toArray(String[]::new)),
                new ProcessIO(in, Optional.of(out.orElse(text)), Optional.of(err)))) {
            int exit = p.await();
            return new Outcome(exit, text.toString(StandardCharsets.UTF_8).trim(), err.toString(StandardCharsets.UTF_8).trim());
        } catch (ExecutableNotFoundException e) {
            throw new IOException("the container has no /bin/sh: files are served through its shell tools", e);
        } catch (GardenException e) {
            throw new IOException("the container cannot run the file operation: " + e.getMessage(), e);
        }
    }

    private static void check(Outcome o, String path, Optional<String> other) throws IOException {
        String second = other.orElse(null);
        switch (o.exit()) {
            case 0 -> { }
            case MISSING -> throw new NoSuchFileException(path, second, null);
            case EXISTS -> throw new FileAlreadyExistsException(second != null ? second : path);
            case NOT_DIRECTORY -> throw new NotDirectoryException(path);
            case IS_DIRECTORY -> throw new FileSystemException(path, second, "is a directory");
            case NOT_EMPTY -> throw new DirectoryNotEmptyException(path);
            default -> {
                if (o.stderr().contains("Permission denied") || o.stderr().contains("Operation not permitted")) {
                    throw new AccessDeniedException(path, second, o.stderr());
                }
                throw new FileSystemException(path, second, "failed in the container (exit " + o.exit() + "): " + o.stderr());
            }
        }
    }
}
