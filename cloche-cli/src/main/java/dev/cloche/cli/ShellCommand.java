package dev.cloche.cli;

import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import dev.cloche.api.ProcessSpec;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "shell", description = "An interactive shell (/bin/sh) in a container, with a TTY.")
final class ShellCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Parameters(paramLabel = "HANDLE")
    String handle;

    @Option(names = {"-u", "--user"}, description = "User name or uid:gid (default root).")
    String user = "";

    @Override
    public Integer call() {
        ProcessSpec spec = ProcessSpec.of("/bin/sh", "-l").withUser(user).withEnv(List.of("TERM=" + term()))
                .withTty(Optional.of(Terminal.size()));
        try (GardenClient c = parent.client()) {
            Container container = c.lookup(handle);
            return Interactive.attach(container, true, true, io -> container.run(spec, io));
        }
    }

    static String term() {
        return System.getenv().getOrDefault("TERM", "xterm");
    }
}
