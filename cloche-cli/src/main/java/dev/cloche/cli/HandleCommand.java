package dev.cloche.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/** {@code cloche handle ...}: the port layer (stage changes on a handle, commit them at once, query, exec, signal). */
@Command(name = "handle", aliases = "portlayer",
        description = "Port layer: stage configuration on a handle and commit it all at once (optimistic concurrency).",
        subcommands = {HandleCommitCommand.class, HandleVersionCommand.class, HandleListCommand.class,
                HandleConfigCommand.class, HandleStateCommand.class, HandleExecCommand.class, HandleSignalCommand.class,
                HandleCopyOutCommand.class, HandleDestroyCommand.class, CommandLine.HelpCommand.class})
final class HandleCommand implements Runnable {
    @ParentCommand
    Cloche parent;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a subcommand is required");
    }
}
