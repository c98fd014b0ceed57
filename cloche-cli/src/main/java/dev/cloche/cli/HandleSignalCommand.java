package dev.cloche.cli;

import dev.cloche.api.Signal;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "signal", description = "Send TERM (or KILL) to a process; a container id means its main process.")
final class HandleSignalCommand implements Callable<Integer> {
    @ParentCommand
    HandleCommand parent;

    @Parameters(paramLabel = "PROCESS_OR_CONTAINER_ID")
    String id;

    @Option(names = "--kill", description = "Send KILL instead of TERM.")
    boolean kill;

    @Override
    public Integer call() {
        parent.parent.portLayer().signal(id, kill ? Signal.KILL : Signal.TERMINATE);
        return 0;
    }
}
