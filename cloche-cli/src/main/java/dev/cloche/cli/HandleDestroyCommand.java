package dev.cloche.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "destroy", aliases = "rm", description = "Destroy a stopped container.")
final class HandleDestroyCommand implements Callable<Integer> {
    @ParentCommand
    HandleCommand parent;

    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
        parent.parent.portLayer().destroyContainer(id);
        return 0;
    }
}
