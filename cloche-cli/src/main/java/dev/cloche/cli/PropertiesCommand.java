package dev.cloche.cli;

import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "properties", aliases = "props",
        description = "Show a container's properties, or get, set and remove them.")
final class PropertiesCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Parameters(paramLabel = "HANDLE")
    String handle;

    @Option(names = "--get", paramLabel = "KEY", description = "Print one property's value.")
    String get;

    @Option(names = "--set", paramLabel = "K=V", description = "Set a property.")
    Map<String, String> set = new LinkedHashMap<>();

    @Option(names = "--remove", paramLabel = "KEY", description = "Remove a property.")
    List<String> remove = new ArrayList<>();

    @Override
    public Integer call() {
        try (GardenClient c = parent.client()) {
            Container container = c.lookup(handle);
            set.forEach(container::setProperty);
            remove.forEach(container::removeProperty);
            if (get != null) {
                System.out.println(container.property(get));
            } else if (set.isEmpty() && remove.isEmpty()) {
                new TreeMap<>(container.properties()).forEach((k, v) -> System.out.println(k + "=" + v));
            }
        }
        return 0;
    }
}
