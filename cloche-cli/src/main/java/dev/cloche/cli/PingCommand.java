package dev.cloche.cli;

import dev.cloche.api.GardenClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "ping", description = "Check that the server is up.")
final class PingCommand implements Callable<Integer> {
    @ParentCommand
    Cloche parent;

    @Override
    public Integer call() {
        try (GardenClient c = parent.client()) {
            c.ping();
        }
        System.out.println("ok");
        return 0;
    }
}
