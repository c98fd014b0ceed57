package dev.cloche.cli;

import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "destroy", aliases = "rm", description = "Destroy containers.")
final class DestroyCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Parameters(paramLabel = "HANDLE", arity = "1..*")
    List<String> handles;

    @Override
    public Integer call() {
        int failures = 0;
        try (GardenClient c = parent.client()) {
            for (String h : handles) {
                try {
                    c.destroy(h);
                } catch (GardenException e) {
                    System.err.println("cloche: " + h + ": " + e.getMessage());
                    failures++;
                }
            }
        }
        return failures == 0 ? 0 : 1;
    }
}
