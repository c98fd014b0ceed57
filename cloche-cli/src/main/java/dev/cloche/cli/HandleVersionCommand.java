package dev.cloche.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "version", description = "Print the container's current configuration version (what a handle is taken at).")
final class HandleVersionCommand implements Callable<Integer> {
    @ParentCommand
    HandleCommand parent;

    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
        System.out.println(parent.parent.portLayer().getHandle(id).version());
        return 0;
    }
}
