package dev.cloche.image.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cloche.api.InvalidRequestException;
import dev.cloche.api.ServiceUnavailableException;
import dev.cloche.image.ImageReference;
import java.io.ByteArrayInputStream;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RegistryAuthTest {
    private static final ImageReference.Registry ALICE = new ImageReference.Registry("reg.example:5000", "team/app", "v1", "alice", "pw-1");
    private static final ImageReference.Registry ANONYMOUS = new ImageReference.Registry("reg.example:5000", "team/app", "v1", "", "");

    private final List<HttpRequest> sent = new ArrayList<>();
    private int status = 200;
    private String body = "{\"token\":\"t1\",\"expires_in\":120}";
    private Instant now = Instant.parse("2026-01-01T00:00:00Z");

    private final RegistryAuth auth = new RegistryAuth((registry, request) -> {
        sent.add(request);
        return new Response(status, HttpHeaders.of(Map.of(), (a, b) -> true),
                new ByteArrayInputStream(body.getBytes(StandardCharsets.UTF_8)));
    }, authority -> authority.startsWith("127."), new Clock() {
        @Override
        public Instant instant() {
            return now;
        }

        @Override
        public java.time.ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }
    });

    private static List<String> bearer(String realm) {
        return List.of("Bearer realm=\"" + realm + "\",service=\"reg\"");
    }

    @Test
    void aBearerTokenIsCachedUntilShortlyBeforeItExpires() {
        assertThat(auth.answer(ALICE, bearer("https://auth.example/token"))).isEqualTo("Bearer t1");
        assertThat(sent.getFirst().uri().toString()).isEqualTo("https://auth.example/token?service=reg&scope=repository%3Ateam%2Fapp%3Apull");
        assertThat(sent.getFirst().headers().firstValue("Authorization")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic "));

        assertThat(auth.cached(ALICE)).contains("Bearer t1");
        now = now.plus(Duration.ofSeconds(109));
        assertThat(auth.cached(ALICE)).contains("Bearer t1");
        now = now.plus(Duration.ofSeconds(2));
        assertThat(auth.cached(ALICE)).isEmpty();
        // another user's grant is never served from this one's cache
        assertThat(auth.cached(new ImageReference.Registry("reg.example:5000", "team/app", "v1", "alice", "pw-2"))).isEmpty();
    }

    @Test
    void anAccessTokenIsAcceptedAndAnonymousRequestsSendNoCredentials() {
        body = "{\"access_token\":\"a1\"}";
        assertThat(auth.answer(ANONYMOUS, bearer("https://auth.example/token?x=1"))).isEqualTo("Bearer a1");
        assertThat(sent.getFirst().uri().getRawQuery()).startsWith("x=1&service=reg");
        assertThat(sent.getFirst().headers().firstValue("Authorization")).isEmpty();
    }

    @Test
    void refusalsNameTheUserAndNeverThePassword() {
        status = 401;
        assertThatThrownBy(() -> auth.answer(ALICE, bearer("https://auth.example/token"))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("refused the credentials for user alice").hasMessageNotContaining("pw-1");
        assertThatThrownBy(() -> auth.answer(ANONYMOUS, bearer("https://auth.example/token"))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("needs credentials");
        assertThatThrownBy(() -> auth.answer(ANONYMOUS, List.of("Basic realm=x"))).hasMessageContaining("needs credentials");
        assertThat(auth.refused(ALICE).getMessage()).contains("user alice").doesNotContain("pw-1");
    }

    @Test
    void credentialsGoToAPlainHttpRealmOnlyWhereThePolicyAllowsIt() {
        assertThatThrownBy(() -> auth.answer(ALICE, bearer("http://auth.example/token"))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("plain-HTTP token realm http://auth.example");
        assertThat(sent).isEmpty();
        assertThat(auth.answer(ALICE, bearer("http://127.0.0.1:9/token"))).isEqualTo("Bearer t1");
        assertThat(auth.answer(ANONYMOUS, bearer("http://auth.example/token"))).isEqualTo("Bearer t1");
    }

    @Test
    void malformedChallengesAndTokenAnswersAreTypedErrors() {
        assertThatThrownBy(() -> auth.answer(ALICE, List.of())).isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("without an authentication challenge");
        assertThatThrownBy(() -> auth.answer(ALICE, List.of("Bearer service=x"))).isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("realm");
        assertThatThrownBy(() -> auth.answer(ALICE, List.of("Negotiate"))).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("unsupported authentication scheme 'negotiate'");
        body = "{}";
        assertThatThrownBy(() -> auth.answer(ALICE, bearer("https://auth.example/token"))).isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("sent no token");
        status = 500;
        assertThatThrownBy(() -> auth.answer(ALICE, bearer("https://auth.example/token"))).isInstanceOf(ServiceUnavailableException.class)
                .hasMessageContaining("answered 500");
    }

    @Test
    void aBasicChallengeIsAnsweredWithTheCredentialsAndCached() {
        assertThat(auth.answer(ALICE, List.of("Basic realm=\"r\""))).isEqualTo("Basic YWxpY2U6cHctMQ==");
        assertThat(sent).isEmpty();
        now = now.plus(Duration.ofDays(365));
        assertThat(auth.cached(ALICE)).contains("Basic YWxpY2U6cHctMQ==");
    }
}
