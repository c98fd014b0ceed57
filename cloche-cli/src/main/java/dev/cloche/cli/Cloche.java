package dev.cloche.cli;

import dev.cloche.api.GardenException;
import dev.cloche.api.PortLayer;
import dev.cloche.client.ClientSecurity;
import dev.cloche.client.ClientTls;
import dev.cloche.client.RemoteGardenClient;
import dev.cloche.client.RemotePortLayer;
import java.nio.file.Path;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code cloche}: the command line for a Cloche (or any Garden) server.
 *
 * <p>The verbs are added in {@link #commandLine}, not listed in {@code @Command(subcommands)}: picocli builds (by
 * reflection) and instantiates every listed subcommand before it parses anything, which was most of a
 * {@code cloche ping}'s start-up. When the verb can be told from the arguments, only that verb is built.
 */
@Command(name = "cloche", mixinStandardHelpOptions = true, version = "cloche 0.1.0",
        description = "Talk to a Cloche daemon (or any Garden server).")
public final class Cloche {

    static final String DEFAULT_SOCKET = "/run/cloche/garden.sock";

    /** The verbs' names in help order (each the {@code @Command} name of {@link #verb}'s answer; CliStartTest checks). */
    static final String[] VERBS = {"ping", "create", "pull", "images", "list", "info", "run", "shell", "attach", "stop", "destroy",
            "properties", "metrics", "events", "stream-in", "stream-out", "console", "proxy", "handle", "audit", "help"};

    @Option(names = "--target", paramLabel = "HOST:PORT",
            description = "Garden server over TCP (default: the unix socket; env CLOCHE_TARGET).")
    String target = System.getenv().getOrDefault("CLOCHE_TARGET", "");

    @Option(names = "--socket", paramLabel = "PATH", description = "Garden server unix socket (default: ${DEFAULT-VALUE}).")
    Path socket = Path.of(System.getenv().getOrDefault("CLOCHE_SOCKET", DEFAULT_SOCKET));

    // ACCESS: how the CLI proves itself to a secured server (docs/security.md, Access to the API)
    @Option(names = "--tls-ca", paramLabel = "FILE",
            description = "Speak TLS to --target, trusting the CA certificate(s) in FILE (PEM; env CLOCHE_TLS_CA).")
    Path tlsCa = env("CLOCHE_TLS_CA").map(Path::of).orElse(null);

    @Option(names = "--cert", paramLabel = "FILE",
            description = "Client certificate for mutual TLS (PEM; with --key; env CLOCHE_CERT).")
    Path cert = env("CLOCHE_CERT").map(Path::of).orElse(null);

    @Option(names = "--key", paramLabel = "FILE",
            description = "The client certificate's key (unencrypted PKCS#8 PEM; env CLOCHE_KEY).")
    Path key = env("CLOCHE_KEY").map(Path::of).orElse(null);

    @Option(names = "--token", paramLabel = "TOKEN",
            description = "Bearer token sent with every request (env CLOCHE_TOKEN; prefer --token-file: arguments are visible to other users).")
    String token = env("CLOCHE_TOKEN").orElse(null);

    @Option(names = "--token-file", paramLabel = "FILE", description = "Read the bearer token from FILE's first line (env CLOCHE_TOKEN_FILE).")
    Path tokenFile = env("CLOCHE_TOKEN_FILE").map(Path::of).orElse(null);

    /** The options whose value is the next argument (what {@link #verbIn} skips). */
    private static final java.util.Set<String> VALUED = java.util.Set.of("--target", "--socket", "--tls-ca", "--cert",
            "--key", "--token", "--token-file");

    private static java.util.Optional<String> env(String name) {
        return java.util.Optional.ofNullable(System.getenv(name)).filter(v -> !v.isEmpty());
    }

    /** The client the verbs use (containers and images); each verb closes it. */
    RemoteGardenClient client() {
        ClientSecurity security = security();
        if (target.isEmpty()) {
            return RemoteGardenClient.unix(socket, security);
        }
        int colon = target.lastIndexOf(':');
        if (colon <= 0) {
            throw new CommandLine.ParameterException(commandLine(this, null), "--target must be HOST:PORT, got " + target);
        }
        return RemoteGardenClient.tcp(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)), security);
    }

    /** The port layer of the same server (routes under /portlayer/). */
    PortLayer portLayer() {
        ClientSecurity security = security();
        if (target.isEmpty()) {
            return RemotePortLayer.unix(socket, security);
        }
        int colon = target.lastIndexOf(':');
        if (colon <= 0) {
            throw new CommandLine.ParameterException(commandLine(this, null), "--target must be HOST:PORT, got " + target);
        }
        return RemotePortLayer.tcp(target.substring(0, colon), Integer.parseInt(target.substring(colon + 1)), security);
    }

    /** A usage error (the full command line is built only for its message). */
    private CommandLine.ParameterException usage(String message) {
        return new CommandLine.ParameterException(commandLine(this, null), message);
    }

    /** TLS when a CA or a client certificate is given (TCP only), and the token from --token or --token-file. */
    ClientSecurity security() {
        ClientSecurity s = ClientSecurity.NONE;
        if (tlsCa != null || cert != null || key != null) {
            if (target.isEmpty()) {
                throw usage("--tls-ca, --cert and --key are for a TCP server (--target)");
            }
            if ((cert == null) != (key == null)) {
                throw usage("--cert and --key go together");
            }
            ClientTls tls = tlsCa != null ? ClientTls.trusting(tlsCa) : ClientTls.DEFAULT_TRUST;
            s = s.withTls(cert != null ? tls.withClientCertificate(cert, key) : tls);
        }
        if (token != null && tokenFile != null) {
            throw usage("give --token or --token-file, not both");
        }
        if (tokenFile != null) {
            try {
                String text = java.nio.file.Files.readString(tokenFile);
                int nl = text.indexOf('\n');
                return s.withToken((nl < 0 ? text : text.substring(0, nl)).strip());
            } catch (java.io.IOException e) {
                throw usage("cannot read --token-file " + tokenFile + ": " + e.getMessage());
            }
        }
        return token != null ? s.withToken(token) : s;
    }

    /** A new instance of the verb called {@code name} (or one of its aliases); null for no verb of that name. */
    static Object verb(String name) {
        return switch (name) {
            case "ping" -> new PingCommand();
            case "create" -> new CreateCommand();
            case "pull" -> new PullCommand();
            case "images" -> new ImagesCommand();
            case "list", "ls" -> new ListCommand();
            case "info" -> new InfoCommand();
            case "run" -> new RunCommand();
            case "shell" -> new ShellCommand();
            case "attach" -> new AttachCommand();
            case "stop" -> new StopCommand();
            case "destroy", "rm" -> new DestroyCommand();
            case "properties", "props" -> new PropertiesCommand();
            case "metrics" -> new MetricsCommand();
            case "events" -> new EventsCommand(); // EVENTS
            case "stream-in" -> new StreamInCommand();
            case "stream-out" -> new StreamOutCommand();
            case "console" -> new ConsoleCommand();
            case "proxy" -> new ProxyCommand();
            case "handle", "portlayer" -> new HandleCommand();
            case "audit" -> new AuditCommand();
            case "help" -> new CommandLine.HelpCommand();
            default -> null;
        };
    }

    /** The command line over {@code cloche}: with only the verb {@code only} (a name or alias), or every verb (null). */
    static CommandLine commandLine(Cloche cloche, String only) {
        CommandLine cl = new CommandLine(cloche);
        if (only != null) {
            cl.addSubcommand(verb(only));
        } else {
            for (String name : VERBS) {
                cl.addSubcommand(verb(name));
            }
        }
        return cl;
    }

    /**
     * The verb {@code args} call, when it is certain without parsing: the first word after the global options
     * ({@code --target}, {@code --socket} and the access options), and a verb. Null (build every verb, parse as always) for anything else:
     * no verb, {@code help} (it lists the others), an unknown word or option, an {@code @file}, {@code --}, or an
     * option value that is itself a verb or looks like an option (picocli rejects those, with every verb known).
     */
    static String verbIn(String... args) {
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (VALUED.contains(a)) {
                if (i + 1 == args.length || !plainValue(args[i + 1])) {
                    return null;
                }
                i++;
            } else if (a.startsWith("--") && a.contains("=") && VALUED.contains(a.substring(0, a.indexOf('=')))) {
                if (!plainValue(a.substring(a.indexOf('=') + 1))) {
                    return null;
                }
            } else {
                return a.equals("help") || verb(a) == null ? null : a;
            }
        }
        return null;
    }

    private static boolean plainValue(String v) {
        return !v.startsWith("-") && !v.startsWith("@") && verb(v) == null;
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (for tests). */
    public static int run(String... args) {
        CommandLine cl = commandLine(new Cloche(), verbIn(args));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof GardenException || e instanceof java.io.UncheckedIOException) {
                cmd.getErr().println("cloche: " + e.getMessage());
                return 1;
            }
            if (e instanceof CommandLine.TypeConversionException) {
                // a value only a verb's own code could check (a bind mount, a disk scope): a usage error, no trace
                cmd.getErr().println("cloche " + cmd.getCommandName() + ": " + e.getMessage());
                return cmd.getCommandSpec().exitCodeOnInvalidInput();
            }
            throw e;
        });
        return cl.execute(args);
    }
}
