package dev.cloche.tar;

import java.io.IOException;

/**
 * The archive was refused: corrupt, truncated, in a form the codec does not read (docs/files.md §3), or, under
 * {@link HostileArchiveChecks}, hostile. The message says which entry (by byte offset) and why.
 */
public final class TarRejectedException extends IOException {
    TarRejectedException(String message) {
        super(message);
    }
}
