package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BearerTokenTest {
    private static final String SECRET = "s3cret-token-0123456789";
    private final BearerToken token = BearerToken.of(SECRET);

    @Test
    void admitsOnlyTheBearerSchemeWithTheExactToken() {
        assertThat(token.admits(Optional.of("Bearer " + SECRET))).isTrue();
        assertThat(token.admits(Optional.of("bearer " + SECRET))).isTrue(); // the scheme is case-insensitive (RFC 7235)

        assertThat(token.admits(Optional.empty())).isFalse();
        assertThat(token.admits(Optional.of(""))).isFalse();
        assertThat(token.admits(Optional.of("Bearer"))).isFalse();
        assertThat(token.admits(Optional.of("Bearer "))).isFalse();
        assertThat(token.admits(Optional.of(SECRET))).isFalse();
        assertThat(token.admits(Optional.of("Basic " + SECRET))).isFalse();
        assertThat(token.admits(Optional.of("Bearer " + SECRET.substring(1)))).isFalse();
        assertThat(token.admits(Optional.of("Bearer " + SECRET + "x"))).isFalse();
        assertThat(token.admits(Optional.of("Bearer " + SECRET.toUpperCase()))).isFalse();
    }

    @Test
    void readsTheFirstLineOfAFileWithoutSurroundingWhiteSpace(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("token"), "  " + SECRET + "  \nsecond line\n");

        BearerToken read = BearerToken.fromFile(file);

        assertThat(read.admits(Optional.of("Bearer " + SECRET))).isTrue();
        assertThat(read.toString()).doesNotContain(SECRET);
    }

    @Test
    void refusesAShortOrUnprintableToken(@TempDir Path dir) throws Exception {
        assertThatThrownBy(() -> BearerToken.of("short")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("at least");
        assertThatThrownBy(() -> BearerToken.of("has a space in it, long enough")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BearerToken.fromFile(Files.writeString(dir.resolve("empty"), "\n")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BearerToken.fromFile(dir.resolve("missing"))).hasMessageContaining("missing");
    }
}
