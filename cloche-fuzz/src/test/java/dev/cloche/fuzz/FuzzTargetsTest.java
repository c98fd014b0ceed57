package dev.cloche.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cloche.tar.HostileTars;
import dev.cloche.tar.Tars;
import dev.cloche.wire.Capture;
import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Runs each fuzz target twice: first every input under {@code src/test/resources/fuzz/<Target>/} in this JVM (the
 * regression inputs: each crash or hang a run found, kept once fixed, and the seeds), then a short coverage-guided
 * run of Jazzer in a JVM of its own ({@code cloche.fuzz.seconds}, 5 s in {@code make test}, longer in
 * {@code make fuzz}). A crash fails the test with Jazzer's report and leaves the input and a Java reproducer under
 * {@code target/fuzz/<Target>/}.
 */
class FuzzTargetsTest {
    private static final Path RESOURCES = Path.of("src/test/resources/fuzz");
    private static final Path WORK = Path.of("target/fuzz");

    static Stream<Class<?>> targets() {
        return Stream.of(WireJsonTarget.class, NatsCodecTarget.class, TarChecksTarget.class, HttpRequestTarget.class);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void regressionInputsPass(Class<?> target) throws Throwable {
        Method one = target.getMethod("fuzzerTestOneInput", byte[].class);
        for (Path input : regressionInputs(target)) {
            try {
                one.invoke(null, (Object) Files.readAllBytes(input));
            } catch (InvocationTargetException e) {
                throw new AssertionError(target.getSimpleName() + " fails on " + input, e.getCause());
            }
        }
        tearDown(target);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void fuzzingFindsNothing(Class<?> target) throws Exception {
        long seconds = Long.getLong("cloche.fuzz.seconds", 5);
        Path work = WORK.resolve(target.getSimpleName()).toAbsolutePath();
        Path corpus = work.resolve("corpus");
        Files.createDirectories(corpus);
        for (Path input : regressionInputs(target)) {
            Files.copy(input, corpus.resolve(input.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        for (byte[] seed : seeds(target)) {
            Files.write(corpus.resolve("seed-" + sha1(seed)), seed);
        }
        Path log = work.resolve("jazzer.log");
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = List.of(java.toString(), "-Xmx1g", "-XX:+EnableDynamicAgentLoading",
                "--enable-native-access=ALL-UNNAMED", "-cp", classpath, "com.code_intelligence.jazzer.Jazzer",
                "--target_class=" + target.getName(),
                // coverage and the sanitizers' hooks only where Cloche's own parsing is: instrumenting every
                // library class as it loads made the first inputs take longer than the per-input timeout
                "--instrumentation_includes=dev.cloche.**", "--custom_hook_includes=dev.cloche.**",
                "--reproducer_path=" + work, "-artifact_prefix=" + work + "/",
                "-max_total_time=" + seconds, "-timeout=30", "-rss_limit_mb=2560", "-print_final_stats=1",
                corpus.toString());
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(seconds + 120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("Jazzer did not end; see " + log);
        }
        List<String> lines = Files.readAllLines(log, StandardCharsets.ISO_8859_1);
        String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
        assertThat(p.exitValue()).as("Jazzer on %s (log %s):%n%s", target.getSimpleName(), log, tail).isZero();
        assertThat(lines).as("Jazzer ran %s to the end", target.getSimpleName())
                .anyMatch(l -> l.startsWith("Done ") && l.contains(" runs in "));
    }

    private static List<Path> regressionInputs(Class<?> target) throws IOException {
        Path dir = RESOURCES.resolve(target.getSimpleName());
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    /** Starting points generated from what the tests already hold: recorded Garden traffic, the hostile tars. */
    private static List<byte[]> seeds(Class<?> target) {
        List<byte[]> seeds = new ArrayList<>();
        if (target == HttpRequestTarget.class) {
            for (Capture c : Capture.all()) {
                c.segments().stream().filter(Capture.Segment::fromClient).findFirst().ifPresent(s -> seeds.add(s.bytes()));
            }
        } else if (target == TarChecksTarget.class) {
            HostileTars.corpus("/tmp/cloche-fuzz-nowhere").forEach(c -> seeds.add(c.tar()));
            seeds.add(Tars.archive().dir("d").file("d/f", "data").symlink("l", "f").hardlink("h", "d/f").end());
        }
        return seeds;
    }

    private static void tearDown(Class<?> target) throws Exception {
        try {
            target.getMethod("fuzzerTearDown").invoke(null);
        } catch (NoSuchMethodException e) {
            // nothing to tear down
        }
    }

    private static String sha1(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(b));
    }
}
