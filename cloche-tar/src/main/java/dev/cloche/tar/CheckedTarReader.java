package dev.cloche.tar;

import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/**
 * Reads an untrusted archive entry by entry under {@link HostileArchiveChecks}, for a caller that writes the entries
 * itself (the Linux backend's layer store) rather than handing the archive to a tar: every entry {@link TarReader}
 * or the checks refuse is a {@link TarRejectedException} before the caller sees it. Device and FIFO entries pass;
 * whether to make them is the caller's decision. The archive must end with an end-of-archive record.
 */
public final class CheckedTarReader {

    /**
     * An entry that passed: {@code path} is its name normalized (relative, no {@code .} or empty components, empty
     * for the destination itself), {@code target} a hard link's target normalized the same way (empty otherwise).
     */
    public record Checked(TarEntry entry, String path, String target) { }

    private final HostileArchiveChecks checks = new HostileArchiveChecks(true);
    private final TarReader reader;

    /** Reads from {@code in}, which the caller closes; nothing past the end-of-archive record is read. */
    public CheckedTarReader(InputStream in) {
        this.reader = new TarReader(in, false, true, checks);
    }

    /** The next entry, checked; empty at the end of the archive. */
    public Optional<Checked> next() throws IOException {
        Optional<TarEntry> next = reader.next();
        if (next.isEmpty()) return Optional.empty();
        TarEntry e = next.get();
        String path = checks.entry(e, reader.header());
        String target = e.type() == TarEntry.Type.HARD_LINK
                ? HostileArchiveChecks.checkName(e.linkName(), reader.header().offset(), "hard link target") : "";
        return Optional.of(new Checked(e, path, target));
    }

    /** The current entry's data; ends where the entry does. */
    public InputStream content() {
        return reader.content();
    }
}
