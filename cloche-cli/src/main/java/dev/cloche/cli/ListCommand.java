package dev.cloche.cli;

import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

@Command(name = "list", aliases = "ls", description = "List container handles, optionally filtered by properties.")
final class ListCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Option(names = {"-p", "--property"}, paramLabel = "K=V", description = "Only containers with this property (ANDed).")
    Map<String, String> properties = new LinkedHashMap<>();

    @Override
    public Integer call() {
        try (GardenClient c = parent.client()) {
            for (Container container : c.containers(properties)) {
                System.out.println(container.handle());
            }
        }
        return 0;
    }
}
