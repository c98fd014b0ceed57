package dev.cloche.cli;

import dev.cloche.api.ImageRef;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * The registry credentials of {@code pull} and {@code create --image}. The password is read from stdin only (as
 * {@code docker login --password-stdin}): on a command line it would be in the shell's history and in {@code ps}.
 */
final class RegistryLogin {
    @Option(names = "--username", paramLabel = "USER", description = "Registry user name.")
    String username = "";

    @Option(names = "--password-stdin", description = "Read the registry password from the first line of stdin.")
    boolean passwordStdin;

    /** The image reference with these credentials; the password is read from {@code stdin} if asked. */
    ImageRef ref(String uri, InputStream stdin, CommandLine cmd) {
        if (passwordStdin && username.isEmpty()) {
            throw new CommandLine.ParameterException(cmd, "--password-stdin needs --username");
        }
        return new ImageRef(uri, username, passwordStdin ? firstLine(stdin) : "");
    }

    private static String firstLine(InputStream stdin) {
        try {
            String line = new BufferedReader(new InputStreamReader(stdin, StandardCharsets.UTF_8)).readLine();
            return line == null ? "" : line.strip();
        } catch (IOException e) {
            throw new UncheckedIOException("reading the password from stdin: " + e.getMessage(), e);
        }
    }
}
