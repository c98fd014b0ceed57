package dev.cloche.portlayer;

import dev.cloche.api.GardenError;
import dev.cloche.tar.TarEntry;
import dev.cloche.tar.TarReader;
import dev.cloche.tar.TarRejectedException;
import dev.cloche.tar.TarWriter;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

/**
 * The one-file archives that carry a copied file through Garden's stream in/out, through the tar codec
 * (cloche-tar): a regular-file entry with mode, owner root, and the content.
 */
final class Tar {
    private Tar() {}

    record File(String name, int mode, byte[] content) {}

    /**
     * One regular-file entry {@code name} (relative, no leading '/'). The names accepted are those a ustar header
     * holds (100 bytes, or a 155-byte prefix and a 100-byte name split at a '/'), as always; longer ones are
     * written with a PAX {@code path}, which busybox tar reads as well.
     */
    static byte[] write(String name, int mode, byte[] content) {
        if (!fitsUstar(name)) throw GardenError.of(GardenError.Kind.INVALID_REQUEST, "file path too long to copy: " + name);
        return TarWriter.archive(TarEntry.file(name, mode, content.length).withModified(Instant.now()), content);
    }

    /** The first regular file of a tar stream, if any (a directory or an empty archive has none). */
    static Optional<File> firstFile(InputStream in) throws IOException {
        TarReader tar = new TarReader(in); // the caller closes the stream
        try {
            for (Optional<TarEntry> next; (next = tar.next()).isPresent(); ) {
                TarEntry e = next.get();
                if (e.type() != TarEntry.Type.FILE) continue;
                if (e.size() > Integer.MAX_VALUE - 8) throw GardenError.internal("file too large to copy out: " + e.size() + " bytes");
                return Optional.of(new File(e.name(), e.mode() & 07777, tar.content().readAllBytes()));
            }
            return Optional.empty();
        } catch (TarRejectedException e) {
            throw GardenError.internal((e.getMessage().startsWith("truncated") ? "truncated tar stream: " : "not a tar stream: ") + e.getMessage());
        }
    }

    private static boolean fitsUstar(String name) {
        if (name.getBytes(StandardCharsets.UTF_8).length <= 100) return true;
        int split = name.lastIndexOf('/', name.length() - 1);
        return split >= 0 && name.substring(0, split).getBytes(StandardCharsets.UTF_8).length <= 155
                && name.substring(split + 1).getBytes(StandardCharsets.UTF_8).length <= 100;
    }
}
