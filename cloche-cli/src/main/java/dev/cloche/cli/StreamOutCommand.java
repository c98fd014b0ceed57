package dev.cloche.cli;

import dev.cloche.api.GardenClient;
import dev.cloche.api.StreamOutSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "stream-out", description = {
        "Write a tar archive of SOURCE in a container to stdout (or --file), read as --user (default root).",
        "SOURCE 'dir' gives entries dir/, dir/file; 'dir/' gives the contents: ./, ./file.",
        "Example: cloche stream-out web /var/log/ | tar -C ./logs -xf -"})
final class StreamOutCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Parameters(index = "0", paramLabel = "HANDLE")
    String handle;

    @Parameters(index = "1", paramLabel = "SOURCE", description = "File or directory in the container; relative to the user's home.")
    String source;

    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "Name or uid[:gid] to read as (default root).")
    String user = "";

    @Option(names = {"-f", "--file"}, paramLabel = "TAR", description = "Write the archive to this file instead of stdout.")
    Optional<Path> file = Optional.empty();

    @Override
    public Integer call() {
        try (GardenClient c = parent.client(); InputStream tar = c.lookup(handle).streamOut(new StreamOutSpec(source, user))) {
            if (file.isPresent()) {
                // written beside the target and renamed, so a failed stream never leaves a partial archive
                Path tmp = file.get().resolveSibling(file.get().getFileName() + ".part");
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    tar.transferTo(out);
                } catch (IOException e) {
                    Files.deleteIfExists(tmp);
                    throw e;
                }
                Files.move(tmp, file.get(), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            } else {
                tar.transferTo(System.out);
                System.out.flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return 0;
    }
}
