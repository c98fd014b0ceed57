package dev.cloche.cli;

import dev.cloche.api.GardenClient;
import dev.cloche.api.StreamInSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "stream-in", description = {
        "Extract a tar archive (stdin, or --file) into a container at DEST, as --user (default root).",
        "A relative DEST is relative to the user's home. Hostile archives ('..', absolute names, entries through",
        "symlinks, links to host files, devices in unprivileged containers) and truncated ones are refused.",
        "Example: tar -C ./site -cf - . | cloche stream-in web /var/www"})
final class StreamInCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Parameters(index = "0", paramLabel = "HANDLE")
    String handle;

    @Parameters(index = "1", paramLabel = "DEST", description = "Directory in the container; created if missing.")
    String destination;

    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "Name or uid[:gid] to extract as (default root).")
    String user = "";

    @Option(names = {"-f", "--file"}, paramLabel = "TAR", description = "Read the archive from this file instead of stdin.")
    Optional<Path> file = Optional.empty();

    @Override
    public Integer call() {
        try (GardenClient c = parent.client(); InputStream tar = file.isPresent() ? Files.newInputStream(file.get()) : System.in) {
            c.lookup(handle).streamIn(new StreamInSpec(destination, user, tar));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }
}
