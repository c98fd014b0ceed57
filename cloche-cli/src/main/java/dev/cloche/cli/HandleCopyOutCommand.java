package dev.cloche.cli;

import dev.cloche.api.PortLayer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "copy-out", aliases = "cat", description = "Copy a file out of a container (to stdout, or -o FILE).")
final class HandleCopyOutCommand implements Callable<Integer> {
    @ParentCommand
    HandleCommand parent;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Parameters(index = "1", paramLabel = "PATH")
    String path;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to this file instead of stdout.")
    Path output;

    @Override
    public Integer call() throws IOException {
        PortLayer.FileContent f = parent.parent.portLayer().copyOut(id, path);
        if (output == null) {
            System.out.write(f.content());
            System.out.flush();
        } else {
            try {
                Files.write(output, f.content());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write " + output + ": " + e.getMessage(), e);
            }
        }
        return 0;
    }
}
