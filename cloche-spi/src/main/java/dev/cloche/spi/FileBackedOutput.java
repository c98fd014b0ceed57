package dev.cloche.spi;

import dev.cloche.api.FileRangeSink;
import java.io.IOException;

/**
 * A reader of process output ({@link BackendProcess#openStdout()}) whose bytes are in a file: it can hand them to a
 * {@link FileRangeSink} as file ranges instead of copying them through {@code read}.
 */
public interface FileBackedOutput {

    /**
     * Follows the output exactly as {@code read} would (replay, then live output, to its end), sending each range as
     * it appears, and returns at the end of the output or when the reader is closed.
     *
     * @throws IOException if the sink fails; the reader stays open, its caller closes it
     */
    void sendTo(FileRangeSink sink) throws IOException;
}
