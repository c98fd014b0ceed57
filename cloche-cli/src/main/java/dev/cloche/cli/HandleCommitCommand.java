package dev.cloche.cli;

import dev.cloche.api.PortLayer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "commit", description = {
        "Stage changes on a handle and commit them: all apply or none. Prints the id and the new version.",
        "Without --create the handle is taken at the current version, or at --if-version (a stale one is a conflict)."})
final class HandleCommitCommand implements Callable<Integer> {
    @ParentCommand
    HandleCommand parent;

    @Parameters(index = "0", paramLabel = "ID", description = "Container id (with --create: its name; '' generates one).")
    String id;

    @Parameters(index = "1..*", paramLabel = "ARG", description = "Arguments of the entry point (after --).")
    List<String> args = new ArrayList<>();

    @Option(names = "--create", description = "Create the container (it must not exist).")
    boolean create;

    @Option(names = "--if-version", paramLabel = "N", description = "Commit only if the configuration is still at version N.")
    Long ifVersion;

    @Option(names = "--entry", paramLabel = "PATH", description = "Entry point executable of the main process.")
    String entry;

    @Option(names = "--dir", paramLabel = "DIR", description = "Working directory of the entry point (default: home).")
    String dir = "";

    @Option(names = "--memory", paramLabel = "SIZE", description = "Memory limit, e.g. 64M (0 = unlimited). Applied live.")
    String memory;

    @Option(names = "--cpu-shares", paramLabel = "N", description = "CPU shares (relative weight). Applied live.")
    Long cpuShares;

    @Option(names = "--file", paramLabel = "LOCAL:PATH[:MODE]",
            description = "Copy a local file to PATH in the container (octal MODE, default 644); a stopped container gets it when it starts.")
    List<String> files = new ArrayList<>();

    @Option(names = {"-p", "--set"}, paramLabel = "K=V", description = "Set a property.")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(names = "--remove", paramLabel = "KEY", description = "Remove a property.")
    List<String> remove = new ArrayList<>();

    @Option(names = "--start", description = "Target run state RUNNING (starts the main process).")
    boolean start;

    @Option(names = "--stop", description = "Target run state STOPPED (TERM, then KILL after 10 s, every process).")
    boolean stop;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (start && stop) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--start and --stop exclude each other");
        }
        if (entry == null && !args.isEmpty()) {
            throw new CommandLine.ParameterException(spec.commandLine(), "arguments need --entry");
        }
        PortLayer pl = parent.parent.portLayer();
        PortLayer.Handle h = create ? pl.createContainer(id)
                : ifVersion != null ? PortLayer.Handle.of(id, ifVersion) : pl.getHandle(id);
        if (entry != null) {
            h = h.withEntryPoint(dir, entry, args);
        }
        if (memory != null) {
            h = h.withMemoryLimit(Sizes.bytes(memory));
        }
        if (cpuShares != null) {
            h = h.withCpuShares(cpuShares);
        }
        for (String f : files) {
            String[] parts = f.split(":", -1);
            if (parts.length < 2 || parts.length > 3) {
                throw new CommandLine.ParameterException(spec.commandLine(), "--file must be LOCAL:PATH[:MODE], got " + f);
            }
            int mode = parts.length == 3 ? Integer.parseInt(parts[2], 8) : 0644;
            try {
                h = h.withFile(parts[1], mode, Files.readAllBytes(Path.of(parts[0])));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + parts[0] + ": " + e.getMessage(), e);
            }
        }
        for (Map.Entry<String, String> e : set.entrySet()) {
            h = h.withProperty(e.getKey(), e.getValue());
        }
        for (String k : remove) {
            h = h.withoutProperty(k);
        }
        if (start) {
            h = h.withRunState(PortLayer.RunState.RUNNING);
        }
        if (stop) {
            h = h.withRunState(PortLayer.RunState.STOPPED);
        }
        PortLayer.Committed c = pl.commit(h);
        System.out.println(c.id() + " " + c.version());
        return 0;
    }
}
