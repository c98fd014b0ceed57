package dev.cloche.cli;

import dev.cloche.api.PortLayer;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "list", aliases = "ls", description = "List container ids, optionally by run state.")
final class HandleListCommand implements Callable<Integer> {
    @ParentCommand
    HandleCommand parent;

    @Option(names = "--state", paramLabel = "RUNNING|STOPPED", description = "Only containers in this run state.")
    PortLayer.RunState state;

    @Override
    public Integer call() {
        parent.parent.portLayer().containers(Optional.ofNullable(state)).forEach(System.out::println);
        return 0;
    }
}
