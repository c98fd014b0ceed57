package dev.cloche.cli;

import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenException;
import dev.cloche.api.PortLayer;
import dev.cloche.client.RemoteGardenClient;
import dev.cloche.client.RemotePortLayer;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cloche}: the command line for a Cloche (or any Garden) server. */
@Command(name = "cloche", mixinStandardHelpOptions = true, version = "cloche 0.1.0",
        description = "Talk to a Cloche daemon (or any Garden server).",
        subcommands = {PingCommand.class, CreateCommand.class, ListCommand.class, InfoCommand.class,
                RunCommand.class, ShellCommand.class, AttachCommand.class, StopCommand.class, DestroyCommand.class, PropertiesCommand.class, MetricsCommand.class, StreamInCommand.class, StreamOutCommand.class, ConsoleCommand.class, ProxyCommand.class, HandleCommand.class, CommandLine.HelpCommand.class})
public final class Cloche {

    static final String DEFAULT_SOCKET = "/run/cloche/garden.sock";

    @Option(names = "--target", paramLabel = "HOST:PORT",
            description = "Garden server over TCP (default: the unix socket; env CLOCHE_TARGET).")
    String target = System.getenv().getOrDefault("CLOCHE_TARGET", "");

    @Option(names = "--socket", paramLabel = "PATH", description = "Garden server unix socket (default: ${DEFAULT-VALUE}).")
    Path socket = Path.of(System.getenv().getOrDefault("CLOCHE_SOCKET", DEFAULT_SOCKET));

    /** The client the verbs use; each verb closes it. */
    GardenClient client() {
        if (target.isEmpty()) {
            return RemoteGardenClient.unix(socket);
        }
        int colon = target.lastIndexOf(':');
        if (colon <= 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--target must be HOST:PORT, got " + target);
        }
        return RemoteGardenClient.tcp(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)));
    }

    /** The port layer of the same server (routes under /portlayer/). */
    PortLayer portLayer() {
        if (target.isEmpty()) {
            return RemotePortLayer.unix(socket);
        }
        int colon = target.lastIndexOf(':');
        if (colon <= 0) {
            throw new CommandLine.ParameterException(new CommandLine(this), "--target must be HOST:PORT, got " + target);
        }
        return RemotePortLayer.tcp(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)));
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine cl = new CommandLine(new Cloche());
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof GardenException || e instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("cloche: " + e.getMessage());
                return 1;
            }
            throw e;
        });
        return cl.execute(args);
    }
}
