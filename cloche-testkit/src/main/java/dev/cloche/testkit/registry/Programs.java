package dev.cloche.testkit.registry;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The fixture's host programs (umoci, skopeo, htpasswd, tar), each bounded so a hung one cannot hang a build. */
final class Programs {
    private static final long TIMEOUT_SECONDS = 300;

    private Programs() {}

    /** Runs a program to completion; its stdout, or an exception with its output when it fails. */
    static String run(List<String> argv) {
        try {
            Path log = Files.createTempFile("cloche-fixture-", ".log");
            try {
                Process p = new ProcessBuilder(argv).redirectInput(new File("/dev/null"))
                        .redirectErrorStream(true).redirectOutput(log.toFile()).start();
                if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                    p.destroyForcibly().waitFor();
                    throw new IllegalStateException(argv + " did not finish in " + TIMEOUT_SECONDS + " s");
                }
                String output = Files.readString(log);
                if (p.exitValue() != 0) throw new IllegalStateException(argv + " exited " + p.exitValue() + ": " + output.strip());
                return output;
            } finally {
                Files.deleteIfExists(log);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + argv + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + argv, e);
        }
    }

    static String run(String... argv) {
        return run(List.of(argv));
    }

    /** Deletes a tree the fixture made (it holds no mounts). */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) return;
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        } catch (IOException e) {
            throw new IllegalStateException("cannot delete " + dir + ": " + e.getMessage(), e);
        }
    }
}
