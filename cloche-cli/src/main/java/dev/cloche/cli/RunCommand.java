package dev.cloche.cli;

import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenException;
import dev.cloche.api.ProcessSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "run", description = {"Run a process in a container, stream its output and exit with its exit code.",
        "Exit code 125 means the process could not be started."})
final class RunCommand implements Callable<Integer> {
    /** As docker and podman: a code no process can be confused with by convention. */
    static final int START_FAILED = 125;

    @ParentCommand
    Cloche parent;

    @Parameters(index = "0", paramLabel = "HANDLE")
    String handle;

    @Parameters(index = "1..*", paramLabel = "COMMAND", arity = "1..*", description = "Path and arguments (put -- before them).")
    List<String> command = new ArrayList<>();

    @Option(names = {"-u", "--user"}, description = "User name or uid:gid (default root).")
    String user = "";

    @Option(names = {"-w", "--dir"}, description = "Working directory (default the user's home).")
    String dir = "";

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "Extra environment.")
    List<String> env = new ArrayList<>();

    @Option(names = "--id", description = "Process id (default generated).")
    String id = "";

    @Option(names = {"-i", "--stdin"}, description = "Forward this terminal's stdin to the process.")
    boolean stdin;

    @Option(names = {"-t", "--tty"}, description = "Give the process a TTY (implies --stdin): raw mode, resizes forwarded.")
    boolean tty;

    @Override
    public Integer call() {
        List<String> fullEnv = new ArrayList<>(env);
        if (tty) {
            fullEnv.add("TERM=" + ShellCommand.term());
        }
        ProcessSpec spec = ProcessSpec.of(command.getFirst(), command.subList(1, command.size()).toArray(String[]::new))
                .withId(id).withUser(user).withDir(dir).withEnv(fullEnv)
                .withTty(tty ? Optional.of(Terminal.size()) : Optional.empty());
        try (GardenClient c = parent.client()) {
            Container container;
            try {
                container = c.lookup(handle);
            } catch (GardenException e) {
                System.err.println("cloche: " + e.getMessage());
                return START_FAILED;
            }
            return Interactive.attach(container, tty, stdin || tty, io -> container.run(spec, io));
        }
    }
}
