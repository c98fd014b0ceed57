package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The token gate alone, on Netty's embedded channel: what passes, what is answered, what is dropped. */
class TokenGateTest {
    private static final String SECRET = "gate-token-0123456789abcdef";

    private static HttpRequest request(String authorization) {
        HttpRequest r = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/containers");
        if (authorization != null) {
            r.headers().set("Authorization", authorization);
        }
        return r;
    }

    @Test
    void aRequestWithTheTokenAndItsBodyPassUntouched() {
        EmbeddedChannel ch = new EmbeddedChannel(new TokenGate(BearerToken.of(SECRET)));
        HttpContent body = new DefaultLastHttpContent(Unpooled.copiedBuffer("{}", StandardCharsets.UTF_8));

        ch.writeInbound(request("Bearer " + SECRET), body);

        assertThat((Object) ch.readInbound()).isInstanceOf(HttpRequest.class);
        assertThat((Object) ch.readInbound()).isSameAs(body);
        assertThat((Object) ch.readOutbound()).isNull();
        assertThat(ch.isOpen()).isTrue();
        body.release();
    }

    @Test
    void aRequestWithoutItIsAnswered401AndNothingAfterItReachesTheServer() {
        EmbeddedChannel ch = new EmbeddedChannel(new TokenGate(BearerToken.of(SECRET)));
        HttpContent body = new DefaultHttpContent(Unpooled.copiedBuffer("{\"handle\":\"x\"}", StandardCharsets.UTF_8));
        HttpContent pipelined = new DefaultLastHttpContent(Unpooled.copiedBuffer("more", StandardCharsets.UTF_8));

        ch.writeInbound(request(null), body, request("Bearer " + SECRET), pipelined);

        assertThat((Object) ch.readInbound()).isNull(); // not even the later request with the right token
        FullHttpResponse answer = ch.readOutbound();
        assertThat(answer.status().code()).isEqualTo(401);
        assertThat(answer.headers().get("WWW-Authenticate")).isEqualTo("Bearer");
        assertThat(answer.headers().get("Connection")).isEqualTo("close");
        assertThat(answer.content().toString(StandardCharsets.UTF_8)).isEqualTo("unauthorized\n");
        answer.release();
        assertThat(ch.isOpen()).isFalse();
        assertThat(body.refCnt()).isZero(); // dropped, and released
        assertThat(pipelined.refCnt()).isZero();
    }

    @Test
    void aWrongTokenGetsTheSameAnswer() {
        EmbeddedChannel ch = new EmbeddedChannel(new TokenGate(BearerToken.of(SECRET)));

        ch.writeInbound(request("Bearer not-" + SECRET));

        FullHttpResponse answer = ch.readOutbound();
        assertThat(answer.status().code()).isEqualTo(401);
        assertThat(answer.content().toString(StandardCharsets.UTF_8)).isEqualTo("unauthorized\n");
        answer.release();
    }

    @Test
    void rawBytesOfAHijackedConnectionPass() {
        EmbeddedChannel ch = new EmbeddedChannel(new TokenGate(BearerToken.of(SECRET)));
        var raw = Unpooled.copiedBuffer("{\"process_id\":\"p\",\"signal\":1}\n", StandardCharsets.UTF_8);

        ch.writeInbound(raw);

        assertThat((Object) ch.readInbound()).isSameAs(raw);
        raw.release();
    }
}
