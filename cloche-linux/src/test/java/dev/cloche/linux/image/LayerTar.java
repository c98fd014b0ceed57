package dev.cloche.linux.image;

import dev.cloche.tar.TarEntry;
import dev.cloche.tar.TarWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;

/** A layer's tar built in memory with cloche-tar's writer, the way image builders write them. */
final class LayerTar {
    static final Instant MTIME = Instant.parse("2024-01-02T03:04:05Z");
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final TarWriter w = new TarWriter(out);

    static LayerTar tar() {
        return new LayerTar();
    }

    LayerTar entry(TarEntry e, String content) {
        try {
            w.write(e, content.getBytes(StandardCharsets.UTF_8));
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return this;
    }

    LayerTar dir(String name) {
        return entry(TarEntry.directory(name, 0755).withModified(MTIME), "");
    }

    LayerTar file(String name, String content) {
        return entry(TarEntry.file(name, 0644, content.getBytes(StandardCharsets.UTF_8).length).withModified(MTIME), content);
    }

    LayerTar symlink(String name, String target) {
        return entry(TarEntry.symlink(name, target).withModified(MTIME), "");
    }

    LayerTar hardLink(String name, String target) {
        return entry(TarEntry.hardLink(name, target), "");
    }

    LayerTar whiteout(String dir, String name) {
        return file((dir.isEmpty() ? "" : dir + "/") + ".wh." + name, "");
    }

    LayerTar opaque(String dir) {
        return file(dir + "/.wh..wh..opq", "");
    }

    LayerTar node(String name, TarEntry.Type type, int mode) {
        return entry(new TarEntry(name, type, mode, 0, 0, 0, "", MTIME, Map.of()), "");
    }

    byte[] bytes() {
        try {
            w.close();
        } catch (IOException x) {
            throw new UncheckedIOException(x);
        }
        return out.toByteArray();
    }
}
