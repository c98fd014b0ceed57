package dev.cloche.docker;

import com.github.dockerjava.api.exception.NotFoundException;
import dev.cloche.api.ContainerNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.StreamInSpec;
import dev.cloche.api.StreamOutSpec;
import dev.cloche.tar.GuardedTarCopy;
import dev.cloche.tar.TarRejectedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Stream-in and stream-out through the engine's archive API. A stream-in archive passes cloche-tar's hostile-archive
 * checks into a file beside the container's state first, so the engine receives only an archive that passed whole,
 * and a refused one leaves nothing in the container.
 */
final class ArchiveStreams {
    private ArchiveStreams() {}

    static void streamIn(Engine engine, String containerId, String handle, StreamInSpec spec, Path state) {
        String destination = spec.path().isEmpty() ? "/" : spec.path();
        Path checked;
        try {
            Files.createDirectories(state);
            checked = Files.createTempFile(state, "stream-in-", ".tar");
        } catch (IOException e) {
            throw GardenError.internal("could not stage stream-in in " + state + ": " + e.getMessage(), e);
        }
        try {
            try (OutputStream out = Files.newOutputStream(checked)) {
                GuardedTarCopy.copy(spec.tarStream(), out, false);
            } catch (TarRejectedException e) {
                throw new InvalidRequestException("stream-in refused: " + e.getMessage(), e);
            } catch (IOException e) {
                throw new InvalidRequestException("stream-in could not read the archive: " + e.getMessage(), e);
            }
            ensureDirectory(engine, containerId, handle, destination);
            try (InputStream in = Files.newInputStream(checked)) {
                engine.client().copyArchiveToContainerCmd(containerId).withRemotePath(destination).withTarInputStream(in)
                        .withNoOverwriteDirNonDir(false).exec();
            } catch (NotFoundException e) {
                throw new ContainerNotFoundException(handle);
            } catch (IOException | RuntimeException e) {
                throw new InvalidRequestException("the engine refused the archive for " + destination + ": " + e.getMessage(), e);
            }
        } finally {
            try {
                Files.deleteIfExists(checked);
            } catch (IOException e) {
                // a leftover staging file goes with the container's state at destroy
            }
        }
    }

    /** The archive API extracts only into an existing directory: a missing destination is made first. */
    private static void ensureDirectory(Engine engine, String containerId, String handle, String destination) {
        if (engine.exists(containerId, destination)) return;
        try {
            var exec = engine.client().execCreateCmd(containerId).withCmd("mkdir", "-p", "--", destination)
                    .withAttachStdout(true).withAttachStderr(true).exec();
            engine.client().execStartCmd(exec.getId()).start().awaitCompletion();
            Long code = engine.client().inspectExecCmd(exec.getId()).exec().getExitCodeLong();
            if (code == null || code != 0) {
                throw new InvalidRequestException("could not make the stream-in destination " + destination);
            }
        } catch (NotFoundException e) {
            throw new ContainerNotFoundException(handle);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw GardenError.internal("interrupted while making " + destination, e);
        }
    }

    static InputStream streamOut(Engine engine, String containerId, String handle, StreamOutSpec spec) {
        String source = spec.path().isEmpty() ? "/" : spec.path();
        if (!engine.exists(containerId, source)) {
            throw new InvalidRequestException("stream-out source not found in the container: " + source);
        }
        try {
            return engine.client().copyArchiveFromContainerCmd(containerId, source).exec();
        } catch (NotFoundException e) {
            throw new ContainerNotFoundException(handle);
        }
    }
}
