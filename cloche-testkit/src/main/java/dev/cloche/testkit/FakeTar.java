package dev.cloche.testkit;

import dev.cloche.tar.TarEntry;
import dev.cloche.tar.TarReader;
import dev.cloche.tar.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The fake's files through the tar codec (cloche-tar): regular-file entries only; anything that is not a tar reads as empty. */
final class FakeTar {
    private FakeTar() {}

    record Entry(String name, int mode, byte[] content) {}

    static List<Entry> read(byte[] tar) {
        List<Entry> out = new ArrayList<>();
        TarReader r = new TarReader(new ByteArrayInputStream(tar));
        try {
            for (Optional<TarEntry> e; (e = r.next()).isPresent(); ) {
                if (e.get().type() == TarEntry.Type.FILE) out.add(new Entry(e.get().name(), e.get().mode(), r.content().readAllBytes()));
            }
        } catch (IOException notATar) {
            return List.of();
        }
        return out;
    }

    static byte[] write(Entry e) {
        return TarWriter.archive(TarEntry.file(e.name(), e.mode(), e.content().length), e.content());
    }
}
