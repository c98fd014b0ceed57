package dev.cloche.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The CLI builds only the verb it runs (Cloche.verbIn); these hold that shortcut to what the whole CLI does. */
class CliStartTest {
    @Test
    void everyVerbIsMadeUnderItsAnnotatedNameAndAliases() {
        List<String> names = new ArrayList<>();
        for (String name : Cloche.VERBS) {
            Object verb = Cloche.verb(name);
            assertThat(verb).as(name).isNotNull();
            Command command = verb.getClass().getAnnotation(Command.class);
            assertThat(command.name()).isEqualTo(name);
            names.add(command.name());
            for (String alias : command.aliases()) {
                assertThat(Cloche.verb(alias)).as(alias).isNotNull().hasSameClassAs(verb);
                names.add(alias);
            }
        }
        assertThat(Cloche.verb("nosuch")).isNull();
        // the order and names of `cloche --help`'s command list, as before the verbs were built on demand
        assertThat(Cloche.commandLine(new Cloche(), null).getSubcommands().keySet()).containsExactlyElementsOf(names)
                .containsExactly("ping", "create", "pull", "images", "list", "ls", "info", "run", "shell", "attach", "stop", "destroy",
                        "rm", "properties", "props", "metrics", "events", "stream-in", "stream-out", "console", "proxy", "handle",
                        "portlayer", "audit", "help");
    }

    @Test
    void theVerbIsToldOnlyWhenCertain() {
        assertThat(Cloche.verbIn("ping")).isEqualTo("ping");
        assertThat(Cloche.verbIn("ls", "-p", "a=b")).isEqualTo("ls");
        assertThat(Cloche.verbIn("--socket", "/s", "ping")).isEqualTo("ping");
        assertThat(Cloche.verbIn("--target", "h:1", "--socket=/s", "handle", "list")).isEqualTo("handle");
        assertThat(Cloche.verbIn("ping", "--socket", "/s")).isEqualTo("ping");
        // every verb is built for these
        assertThat(Cloche.verbIn()).isNull();
        assertThat(Cloche.verbIn("help", "ping")).isNull();
        assertThat(Cloche.verbIn("--help")).isNull();
        assertThat(Cloche.verbIn("-hV")).isNull();
        assertThat(Cloche.verbIn("nosuch")).isNull();
        assertThat(Cloche.verbIn("--bogus", "ping")).isNull();
        assertThat(Cloche.verbIn("--", "ping")).isNull();
        assertThat(Cloche.verbIn("@args")).isNull();
        assertThat(Cloche.verbIn("--socket")).isNull();
        assertThat(Cloche.verbIn("--socket", "ping", "list")).isNull();
        assertThat(Cloche.verbIn("--socket=ping", "list")).isNull();
        assertThat(Cloche.verbIn("--socket", "--target", "ping")).isNull();
        assertThat(Cloche.verbIn("--socket", "@file", "ping")).isNull();
    }

    /** Parsing with only the verb built matches parsing with every verb: the same commands matched, or the same error. */
    @Test
    void parsesAsTheWholeCli() {
        String[][] cases = {
                {"ping"}, {"--socket", "/s", "ping"}, {"--socket=/s", "ls", "-p", "a=b"}, {"ping", "extra"},
                {"ping", "--help"}, {"ping", "--bogus"}, {"ping", "ping"}, {"ping", "help"}, {"handle", "list"},
                {"portlayer", "nosuch"}, {"create", "--memory"}, {"console", "stop"}, {"proxy", "list", "x"},
                {"run", "--help"}, {"ls", "--socket", "/s"}, {"--target", "h:1", "info", "a", "b"}, {"destroy"},
                {"images", "prune"}, {"images", "--json"}, {"pull"}, {"pull", "docker:///a", "--password-stdin"},
                {"create", "--memory", "bad"}, {"create", "--image", "docker:///a", "--grace-time", "soon"},
        };
        for (String[] args : cases) {
            assertThat(Cloche.verbIn(args)).as(Arrays.toString(args)).isNotNull();
            assertThat(parse(Cloche.commandLine(new Cloche(), Cloche.verbIn(args)), args)).as(Arrays.toString(args))
                    .isEqualTo(parse(Cloche.commandLine(new Cloche(), null), args));
        }
    }

    /** The matched command chain, or the parse error and the usage picocli would print with it. */
    private static String parse(CommandLine cl, String[] args) {
        try {
            return cl.parseArgs(args).asCommandLineList().stream().map(CommandLine::getCommandName).toList().toString();
        } catch (CommandLine.ParameterException e) {
            StringWriter usage = new StringWriter();
            e.getCommandLine().usage(new PrintWriter(usage));
            return e.getClass().getSimpleName() + ": " + e.getMessage() + "\n" + usage;
        }
    }

    @Test
    void pingWithNothingListeningSaysSoAndFails() {
        assertThat(Cloche.run("--socket", "/nonexistent/garden.sock", "ping")).isEqualTo(1);
    }
}
