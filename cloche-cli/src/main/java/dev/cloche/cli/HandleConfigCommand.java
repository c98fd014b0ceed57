package dev.cloche.cli;

import dev.cloche.api.PortLayer;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "config", description = "Show a container's configuration at its current version.")
final class HandleConfigCommand implements Callable<Integer> {
    @ParentCommand
    HandleCommand parent;

    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
        PortLayer.Config c = parent.parent.portLayer().config(id);
        System.out.println("id: " + c.id());
        System.out.println("version: " + c.version());
        System.out.println("path: " + c.containerPath());
        c.entryPoint().ifPresent(ep -> System.out.println("entry: " + entry(ep)));
        System.out.println("memory: " + c.memoryLimit());
        System.out.println("cpu-shares: " + c.cpuShares());
        c.properties().entrySet().stream().sorted(java.util.Map.Entry.comparingByKey())
                .forEach(e -> System.out.println("property: " + e.getKey() + "=" + e.getValue()));
        c.pendingFiles().forEach(f -> System.out.println("pending-file: " + f));
        c.execs().forEach(e -> System.out.println("exec: " + e.id() + " " + entry(e.entryPoint())));
        return 0;
    }

    static String entry(PortLayer.EntryPoint ep) {
        return (ep.dir().isEmpty() ? "" : "(in " + ep.dir() + ") ") + ep.path()
                + (ep.args().isEmpty() ? "" : " " + String.join(" ", ep.args()));
    }
}
