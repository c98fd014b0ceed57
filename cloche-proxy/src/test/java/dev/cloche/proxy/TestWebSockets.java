package dev.cloche.proxy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/** A websocket client for the proxy tests: the first text message it receives, and how the socket ended. */
final class TestWebSockets {
    private TestWebSockets() {}

    /**
     * Connects to {@code uri}; {@code echoed} completes with the first whole text message received, {@code ended} with
     * "closed STATUS" or "error ..." when the socket ends.
     */
    static WebSocket connect(HttpClient http, URI uri, CompletableFuture<String> echoed, CompletableFuture<String> ended,
                             long timeoutSeconds) throws Exception {
        return http.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                text.append(data); // a message may come in fragments
                if (last) echoed.complete(text.toString());
                w.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
                ended.complete("closed " + status);
                return null;
            }

            @Override
            public void onError(WebSocket w, Throwable error) {
                ended.complete("error " + error);
            }
        }).get(timeoutSeconds, TimeUnit.SECONDS);
    }

    /** Connects to {@code uri}; every whole text message received goes to {@code messages}. */
    static WebSocket connect(HttpClient http, URI uri, java.util.concurrent.BlockingQueue<String> messages,
                             CompletableFuture<String> ended, long timeoutSeconds) throws Exception {
        return http.newWebSocketBuilder().buildAsync(uri, new WebSocket.Listener() {
            private final StringBuilder text = new StringBuilder();

            @Override
            public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                text.append(data);
                if (last) {
                    messages.add(text.toString());
                    text.setLength(0);
                }
                w.request(1);
                return null;
            }

            @Override
            public CompletionStage<?> onClose(WebSocket w, int status, String reason) {
                ended.complete("closed " + status);
                return null;
            }

            @Override
            public void onError(WebSocket w, Throwable error) {
                ended.complete("error " + error);
            }
        }).get(timeoutSeconds, TimeUnit.SECONDS);
    }
}
