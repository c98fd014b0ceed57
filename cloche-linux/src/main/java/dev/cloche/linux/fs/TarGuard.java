package dev.cloche.linux.fs;

import dev.cloche.tar.GuardedTarCopy;
import dev.cloche.tar.TarRejectedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;

/**
 * Stream-in's guard, as the Linux backend calls it: {@link GuardedTarCopy} (cloche-tar) validates a tar stream
 * header by header while copying it to the extracting tar, and refuses hostile or corrupt archives before tar sees
 * the offending header (docs/files.md §3). This class keeps the backend's names for its results and errors.
 */
public final class TarGuard {
    private TarGuard() {}

    /** The archive is hostile or corrupt; the message says which entry and why. */
    public static final class RejectedException extends IOException {
        RejectedException(TarRejectedException cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** Writing to the extracting tar failed (it exited): its own error says why. */
    public static final class SinkException extends IOException {
        SinkException(GuardedTarCopy.SinkException cause) {
            super(cause.getMessage(), cause.getCause());
        }
    }

    /**
     * What passed: the number of entries and, per entry path (normalized, relative to the destination), the
     * {@code SCHILY.xattr.*} extended attributes its PAX header carried, for the caller to apply.
     */
    public record Summary(int entries, Map<String, Map<String, byte[]>> xattrs) {}

    /**
     * Copies {@code in} to {@code out} up to and including the end-of-archive marker, then reads and discards the
     * rest of {@code in} (record padding). Does not close either stream.
     *
     * @param allowDevices device and FIFO entries pass (privileged containers)
     * @throws RejectedException the archive is hostile or corrupt; nothing from the offending header on was written
     * @throws SinkException writing to {@code out} failed
     * @throws IOException reading {@code in} failed
     */
    public static Summary copy(InputStream in, OutputStream out, boolean allowDevices) throws IOException {
        try {
            GuardedTarCopy.Summary s = GuardedTarCopy.copy(in, out, allowDevices);
            return new Summary(s.entries(), s.xattrs());
        } catch (TarRejectedException e) {
            throw new RejectedException(e);
        } catch (GuardedTarCopy.SinkException e) {
            throw new SinkException(e);
        }
    }
}
