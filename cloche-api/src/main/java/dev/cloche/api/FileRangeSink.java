package dev.cloche.api;

import java.io.IOException;
import java.nio.channels.FileChannel;

/**
 * A writer of process output (one of {@link ProcessIO}'s streams) that can send a range of a file by itself, with
 * {@code sendfile(2)} where its transport allows, so that output a backend keeps in a file never passes through
 * the JVM's memory. A writer that cannot copies the range as {@code write} would.
 */
public interface FileRangeSink {

    /**
     * Sends {@code count} bytes of {@code file} from {@code position}, and returns once they have left this sink
     * (the range may then be released from the file). The channel stays open: it belongs to the caller.
     *
     * @throws IOException if the sink's destination went away; nothing more can be sent then
     */
    void sendFileRange(FileChannel file, long position, long count) throws IOException;
}
