package dev.cloche.linux.sys;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Every program the backend may run is one that `make deps` installs on a fresh machine. */
class HostProgramTest {
    private static Set<String> makefileList(String variable) throws IOException {
        Path makefile = Path.of("").toAbsolutePath().getParent().resolve("Makefile");
        String text = Files.readString(makefile).replace("\\\n", " ");  // join continued lines
        String line = text.lines().filter(l -> l.startsWith(variable + " :="))
                .findFirst().orElseThrow(() -> new AssertionError("no " + variable + " in " + makefile));
        return Arrays.stream(line.substring(line.indexOf(":=") + 2).trim().split("\\s+")).collect(Collectors.toSet());
    }

    @Test
    void makeDepsInstallsThePackageOfEveryDeclaredProgramAndChecksForIt() throws IOException {
        Set<String> packages = makefileList("PACKAGES");
        Set<String> commands = makefileList("COMMANDS");
        for (HostProgram p : HostProgram.values()) {
            assertThat(packages).as("Makefile PACKAGES brings %s", p.command()).contains(p.debianPackage());
            assertThat(commands).as("Makefile COMMANDS checks for %s", p.command()).contains(p.command());
        }
    }

    @Test
    void theRealRunnerRefusesAProgramThatIsNotDeclared() {
        CommandRunner runner = CommandRunners.spawning(java.time.Duration.ofSeconds(5));
        assertThatThrownBy(() -> runner.run(List.of("iptables", "-L")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("'iptables' is not declared");
        assertThatThrownBy(() -> runner.runPiped(List.of("iptables", "-L"))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> runner.start(List.of("iptables", "-L"))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void declaredProgramsAndAbsolutePathsRun() {
        CommandRunner runner = CommandRunners.spawning(java.time.Duration.ofSeconds(5));
        assertThat(runner.run(List.of("mkdir", "--version")).exitCode()).isZero();
        assertThat(runner.run(List.of("/bin/true")).exitCode()).isZero();
    }
}
