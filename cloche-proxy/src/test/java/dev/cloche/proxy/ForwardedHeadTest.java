package dev.cloche.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class ForwardedHeadTest {
    private final Environment env = new Environment("abc", "t", "h", Instant.EPOCH, Instant.EPOCH, "10.0.0.2", 8080);

    @Test
    void aRequestLosesItsHopByHopHeadersAndGetsTheForwardedOnes() {
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/demo/abc/x?y=1");
        req.headers().set("Host", "proxy:80").set("Connection", "keep-alive, x-secret").set("Keep-Alive", "timeout=5")
                .set("TE", "trailers").set("Proxy-Connection", "keep-alive").set("X-Forwarded-For", "1.2.3.4").set("Accept", "*/*");
        assertThat(ForwardedHead.upgrade(req)).isFalse();
        ForwardedHead.request(req, env, "/x?y=1", "127.0.0.1", false);
        assertThat(req.uri()).isEqualTo("/x?y=1");
        assertThat(req.headers().names()).doesNotContain("Connection", "Keep-Alive", "TE", "Proxy-Connection");
        assertThat(req.headers().get("Host")).isEqualTo("10.0.0.2:8080");
        assertThat(req.headers().get("X-Forwarded-For")).isEqualTo("1.2.3.4, 127.0.0.1");
        assertThat(req.headers().get("X-Forwarded-Host")).isEqualTo("proxy:80");
        assertThat(req.headers().get("X-Forwarded-Proto")).isEqualTo("http");
        assertThat(req.headers().get("Accept")).isEqualTo("*/*");
    }

    @Test
    void aProtocolSwitchKeepsItsUpgradeHeaders() {
        HttpRequest req = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, "/demo/abc/ws");
        req.headers().set("Connection", "Upgrade").set("Upgrade", "websocket");
        assertThat(ForwardedHead.upgrade(req)).isTrue();
        ForwardedHead.request(req, env, "/ws", "127.0.0.1", true);
        assertThat(req.headers().get("Connection")).isEqualTo("upgrade");
        assertThat(req.headers().get("Upgrade")).isEqualTo("websocket");
        assertThat(req.headers().contains("X-Forwarded-Host")).isFalse(); // the client named no host
    }

    @Test
    void anAnswerIsReusableOnlyWhenFramedAndNotClosedAndAnUnframedOneIsChunkedForTheClient() {
        HttpResponse framed = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        framed.headers().set("Content-Length", "3").set("Keep-Alive", "timeout=5");
        assertThat(ForwardedHead.answer(framed, true)).isTrue();
        assertThat(framed.headers().contains("Keep-Alive")).isFalse();
        assertThat(framed.headers().contains("Connection")).isFalse();

        HttpResponse closing = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
        closing.headers().set("Connection", "close");
        assertThat(ForwardedHead.answer(closing, false)).isFalse();
        assertThat(closing.headers().get("Transfer-Encoding")).isEqualTo("chunked");
        assertThat(closing.headers().get("Connection")).isEqualTo("close");

        HttpResponse noContent = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT);
        assertThat(ForwardedHead.answer(noContent, true)).isTrue();
        assertThat(noContent.headers().contains("Transfer-Encoding")).isFalse();
    }
}
