package dev.cloche.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "exec", description = "Start a process beside the main process of a running container; prints its process id.")
final class HandleExecCommand implements Callable<Integer> {
    @ParentCommand
    HandleCommand parent;

    @Parameters(index = "0", paramLabel = "ID")
    String id;

    @Parameters(index = "1", paramLabel = "PATH")
    String path;

    @Parameters(index = "2..*", paramLabel = "ARG")
    List<String> args = new ArrayList<>();

    @Option(names = "--dir", paramLabel = "DIR", description = "Working directory (default: home).")
    String dir = "";

    @Override
    public Integer call() {
        System.out.println(parent.parent.portLayer().execProcess(id, dir, path, args));
        return 0;
    }
}
