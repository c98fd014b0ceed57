package dev.cloche.cli;

import dev.cloche.api.GardenClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "stop", description = "Stop every process in a container: TERM, then KILL after 10 s (or KILL at once with --kill).")
final class StopCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Parameters(paramLabel = "HANDLE")
    String handle;

    @Option(names = {"-k", "--kill"}, description = "Send KILL at once.")
    boolean kill;

    @Override
    public Integer call() {
        try (GardenClient c = parent.client()) {
            c.lookup(handle).stop(kill);
        }
        return 0;
    }
}
