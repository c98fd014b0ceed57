package dev.cloche.cli;

import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "attach", description = {"Attach to a running (or exited, unreaped) process: its output from the start, then live; exits with its exit code."})
final class AttachCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Parameters(index = "0", paramLabel = "HANDLE")
    String handle;

    @Parameters(index = "1", paramLabel = "PROCESS_ID")
    String processId;

    @Option(names = {"-i", "--stdin"}, description = "Forward this terminal's stdin to the process.")
    boolean stdin;

    @Option(names = {"-t", "--tty"}, description = "The process has a TTY: raw mode and resizes forwarded.")
    boolean tty;

    @Override
    public Integer call() {
        try (GardenClient c = parent.client()) {
            Container container = c.lookup(handle);
            return Interactive.attach(container, tty, stdin || tty, io -> container.attach(processId, io));
        }
    }
}
