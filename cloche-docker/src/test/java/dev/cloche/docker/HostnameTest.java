package dev.cloche.docker;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class HostnameTest {
    @Test
    void aPlainHandleIsTheHostname() {
        assertThat(DockerBackend.hostname("task-1.a")).contains("task-1.a");
    }

    @Test
    void aLongHandleKeepsItsLast49Characters() {
        String handle = "x".repeat(10) + "y".repeat(49);
        assertThat(DockerBackend.hostname(handle)).contains("y".repeat(49));
    }

    @Test
    void aHandleThatIsNoHostnameKeepsTheEnginesOwn() {
        assertThat(DockerBackend.hostname("with space")).isEqualTo(Optional.empty());
        assertThat(DockerBackend.hostname("-lead")).isEmpty();
        assertThat(DockerBackend.hostname("under_score")).isEmpty();
        assertThat(DockerBackend.hostname("")).isEmpty();
    }
}
