package dev.cloche.image.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ChallengeTest {
    @Test
    void parsesQuotedParametersWithCommasAndEscapes() {
        List<Challenge> parsed = Challenge.parse(
                "Bearer realm=\"https://auth.example.com/token\",service=\"registry.example.com\",scope=\"repository:a/b:pull,push\", error=\"a \\\"q\\\"\"");
        assertThat(parsed).containsExactly(new Challenge("bearer", Map.of("realm", "https://auth.example.com/token",
                "service", "registry.example.com", "scope", "repository:a/b:pull,push", "error", "a \"q\"")));
    }

    @Test
    void severalChallengesInOneHeaderAndBearerIsPreferred() {
        List<Challenge> parsed = Challenge.parse("Basic realm=\"reg\", Bearer realm=\"https://t\",service=s");
        assertThat(parsed).extracting(Challenge::scheme).containsExactly("basic", "bearer");
        assertThat(Challenge.pick(List.of("Basic realm=\"reg\", Bearer realm=\"https://t\",service=s")).orElseThrow().param("service"))
                .isEqualTo("s");
        assertThat(Challenge.pick(List.of("BASIC realm=x")).orElseThrow().scheme()).isEqualTo("basic");
        assertThat(Challenge.pick(List.of())).isEmpty();
    }
}
