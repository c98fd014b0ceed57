package dev.cloche.portlayer;

import dev.cloche.api.Container;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.PortLayer.FileContent;
import dev.cloche.api.PortLayer.FileCopy;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.api.VersionedContainers;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Optional;

/** Single files into and out of a container, as one-entry tars over Garden's stream-in and stream-out. */
final class PortLayerFiles {
    private PortLayerFiles() {
    }

    /** Copies a file in; the undo restores the old file, or removes the new one if there was none. */
    static void copyIn(VersionedContainers.ConfigTransaction tx, Container c, FileCopy f) {
        Optional<FileContent> old = tryRead(c, f.path());
        write(c, f.path(), f.mode(), f.content());
        tx.onRollback(() -> {
            if (old.isPresent()) {
                write(c, f.path(), old.get().mode(), old.get().content());
            } else {
                try (Process rm = c.run(ProcessSpec.of("rm", "-f", f.path()), ProcessIO.NONE)) {
                    if (!PortLayerProcesses.await(rm, PortLayerProcesses.STOP_GRACE) || rm.onExit().join() != 0) {
                        throw GardenError.internal("cannot remove " + f.path() + " from " + c.handle());
                    }
                }
            }
        });
    }

    static FileContent read(Container c, String path) {
        try (InputStream in = c.streamOut(new StreamOutSpec(path, ""))) {
            Tar.File f = Tar.firstFile(in).orElseThrow(() -> new InvalidRequestException("not a regular file: " + path));
            return new FileContent(path, f.mode(), f.content());
        } catch (IOException e) {
            throw GardenError.internal("cannot copy " + path + " out of " + c.handle() + ": " + e.getMessage(), e);
        }
    }

    private static void write(Container c, String path, int mode, byte[] content) {
        byte[] tar = Tar.write(path.substring(1), mode, content);
        c.streamIn(new StreamInSpec("/", "", new ByteArrayInputStream(tar)));
    }

    private static Optional<FileContent> tryRead(Container c, String path) {
        try {
            return Optional.of(read(c, path));
        } catch (RuntimeException absent) {
            return Optional.empty();
        }
    }
}
