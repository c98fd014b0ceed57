package dev.cloche.fuzz;

import dev.cloche.tar.CheckedTarReader;
import dev.cloche.tar.GuardedTarCopy;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * The hostile-archive checks, on both of their paths: {@link GuardedTarCopy} (stream-in, whose output goes to an
 * extracting tar) and {@link CheckedTarReader} (image layers). Properties: a refusal is an {@link IOException}; every
 * entry let through has a relative name without {@code ..}; and what the guarded copy lets through is accepted again
 * by the checked reader, entry for entry (the two paths agree).
 */
public final class TarChecksTarget {
    private TarChecksTarget() {}

    public static void fuzzerTestOneInput(byte[] input) {
        int passed = readChecked(new ByteArrayInputStream(input));
        ByteArrayOutputStream copied = new ByteArrayOutputStream();
        GuardedTarCopy.Summary summary;
        try {
            summary = GuardedTarCopy.copy(new ByteArrayInputStream(input), copied, true);
        } catch (IOException e) {
            return;
        }
        int again = readChecked(new ByteArrayInputStream(copied.toByteArray()));
        if (again != summary.entries()) {
            throw new IllegalStateException("the guarded copy let " + summary.entries() + " entries through, and the "
                    + "checked reader accepts " + again + " of its output");
        }
        if (passed >= 0 && passed != summary.entries()) {
            throw new IllegalStateException("the checked reader accepts " + passed + " entries, the guarded copy "
                    + summary.entries());
        }
    }

    /** Entries accepted, or -1 if the archive was refused. */
    private static int readChecked(InputStream in) {
        CheckedTarReader reader = new CheckedTarReader(in);
        int n = 0;
        try {
            Optional<CheckedTarReader.Checked> next;
            while ((next = reader.next()).isPresent()) {
                requireContained(next.get().path());
                requireContained(next.get().target());
                reader.content().transferTo(java.io.OutputStream.nullOutputStream());
                n++;
            }
            return n;
        } catch (IOException e) {
            return -1;
        }
    }

    private static void requireContained(String path) {
        if (path.startsWith("/") || path.equals("..") || path.startsWith("../") || path.contains("/../")
                || path.endsWith("/..")) {
            throw new IllegalStateException("an entry escapes the destination: " + path);
        }
    }
}
