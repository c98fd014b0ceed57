package dev.cloche.cli;

import dev.cloche.api.ContainerInfo;
import dev.cloche.api.GardenClient;
import dev.cloche.api.PortMapping;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "info", description = "Show a container's state, addresses, processes and properties.")
final class InfoCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Parameters(paramLabel = "HANDLE")
    String handle;

    @Override
    public Integer call() {
        try (GardenClient c = parent.client()) {
            ContainerInfo i = c.lookup(handle).info();
            row("handle", handle);
            row("state", i.state());
            row("events", String.join(",", i.events()));
            row("container path", i.containerPath());
            row("host ip", i.hostIp());
            row("container ip", i.containerIp());
            row("external ip", i.externalIp());
            row("mapped ports", i.mappedPorts().stream().map(InfoCommand::port).collect(Collectors.joining(",")));
            row("processes", String.join(",", i.processIds()));
            for (Map.Entry<String, String> p : new java.util.TreeMap<>(i.properties()).entrySet()) {
                row("property " + p.getKey(), p.getValue());
            }
        }
        return 0;
    }

    private static String port(PortMapping m) {
        return m.hostPort() + "->" + m.containerPort();
    }

    private static void row(String k, String v) {
        System.out.printf("%-16s %s%n", k + ":", v);
    }
}
