package dev.cloche.web;

import dev.cloche.api.Container;
import dev.cloche.api.GardenClient;
import dev.cloche.api.GardenException;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.TtySpec;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.databind.JsonNode;

/**
 * A browser terminal: one websocket bound to one process with a TTY, run anew or attached by id. The browser sends
 * text frames {@code {"type":"input","data":...}} and {@code {"type":"resize","cols":..,"rows":..}}; the server sends
 * the output as binary frames (from the first byte the process still keeps, for an attach) and text frames
 * {@code {"type":"started","id":..}}, {@code {"type":"exit","status":..}} and {@code {"type":"error",..}}. Closing the
 * socket detaches: stdin ends, the process runs on and can be attached again.
 */
final class TerminalSocket extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger log = LoggerFactory.getLogger(TerminalSocket.class);
    static final String PREFIX = WebRouter.CONTAINERS + "/";

    /** What to open: {@code /api/containers/<handle>/terminal?cmd=..|attach=<id>&cols=&rows=}. */
    record Target(String handle, Optional<String> command, Optional<String> attach, int cols, int rows) {
        static Optional<Target> parse(WebRequest r) {
            if (!r.path().startsWith(PREFIX) || !r.path().endsWith("/terminal")) {
                return Optional.empty();
            }
            String handle = r.path().substring(PREFIX.length(), r.path().length() - "/terminal".length());
            if (handle.isEmpty() || handle.contains("/")) {
                return Optional.empty();
            }
            return Optional.of(new Target(handle, r.param("cmd").filter(c -> !c.isBlank()),
                    r.param("attach").filter(a -> !a.isBlank()), size(r.param("cols"), 80), size(r.param("rows"), 24)));
        }

        private static int size(Optional<String> v, int fallback) {
            return v.filter(s -> s.matches("\\d{1,4}")).map(Integer::parseInt).filter(n -> n > 0).orElse(fallback);
        }
    }

    private final GardenClient garden;
    private final Target target;
    private final SocketInput stdin = new SocketInput();
    private final CompletableFuture<Process> process = new CompletableFuture<>();

    TerminalSocket(GardenClient garden, Target target) {
        this.garden = garden;
        this.target = target;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        Channel ch = ctx.channel();
        Thread.ofVirtual().name("web-terminal-" + target.handle()).start(() -> run(ch));
    }

    private void run(Channel ch) {
        Process p;
        try {
            Container c = garden.lookup(target.handle());
            OutputStream out = new FrameOutput(ch);
            ProcessIO io = new ProcessIO(Optional.of(stdin), Optional.of(out), Optional.of(out));
            if (target.attach().isPresent()) {
                p = c.attach(target.attach().get(), io);
                p.setTty(TtySpec.of(target.cols(), target.rows()));
            } else {
                List<String> args = target.command().map(cmd -> List.of("-c", cmd)).orElse(List.of());
                p = c.run(ProcessSpec.of("sh", args.toArray(String[]::new))
                        .withEnv(List.of("TERM=xterm-256color"))
                        .withTty(Optional.of(TtySpec.of(target.cols(), target.rows()))), io);
            }
        } catch (GardenException e) {
            control(ch, "error", "kind", e.kind().name(), "message", e.getMessage());
            ch.writeAndFlush(new CloseWebSocketFrame(1011, "cannot start"));
            ch.close();
            return;
        }
        process.complete(p);
        control(ch, "started", "id", p.id());
        try {
            int status = p.await(); // the exit status once all output is delivered
            control(ch, "exit", "status", status);
            ch.writeAndFlush(new CloseWebSocketFrame(1000, "exited")).addListener(f -> ch.close());
        } catch (GardenException e) {
            control(ch, "error", "kind", e.kind().name(), "message", e.getMessage());
            ch.close();
        }
    }

    /** A control message {@code {"type":type, key: value, ...}}, its keys in this order. */
    private static void control(Channel ch, String type, Object... keyValues) {
        Map<String, Object> message = new java.util.LinkedHashMap<>();
        message.put("type", type);
        for (int i = 0; i < keyValues.length; i += 2) {
            message.put((String) keyValues[i], keyValues[i + 1]);
        }
        if (ch.isActive()) {
            ch.writeAndFlush(new TextWebSocketFrame(WebJson.write(message)));
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        switch (frame) {
            case TextWebSocketFrame t -> message(t.text());
            case BinaryWebSocketFrame b -> {
                byte[] bytes = new byte[b.content().readableBytes()];
                b.content().readBytes(bytes);
                stdin.offer(bytes);
            }
            case PingWebSocketFrame ping -> ctx.writeAndFlush(new PongWebSocketFrame(ping.content().retain()));
            case CloseWebSocketFrame close -> ctx.close();
            default -> { }
        }
    }

    private void message(String text) {
        JsonNode n;
        try {
            n = WebJson.readObject(text);
        } catch (GardenException e) {
            return; // a malformed control message changes nothing
        }
        switch (n.path("type").asString("")) {
            case "input" -> stdin.offer(n.path("data").asString("").getBytes(StandardCharsets.UTF_8));
            case "resize" -> {
                int cols = n.path("cols").asInt(0);
                int rows = n.path("rows").asInt(0);
                if (cols > 0 && rows > 0 && cols < 10000 && rows < 10000) {
                    process.thenAcceptAsync(p -> resize(p, cols, rows), r -> Thread.ofVirtual().start(r));
                }
            }
            default -> { }
        }
    }

    private static void resize(Process p, int cols, int rows) {
        try {
            p.setTty(TtySpec.of(cols, rows));
        } catch (GardenException e) {
            log.debug("terminal resize of {} refused: {}", p.id(), e.getMessage());
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        stdin.close();
        process.thenAccept(Process::close); // detach: the process runs on and can be attached again
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("terminal socket failed", cause);
        ctx.close();
    }

    /** Output as binary frames; a full socket makes the writer wait, a closed one ends the pump. */
    private static final class FrameOutput extends OutputStream {
        private final Channel ch;

        FrameOutput(Channel ch) {
            this.ch = ch;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) throws IOException {
            if (!ch.isActive()) {
                throw new IOException("the terminal's socket is closed");
            }
            ChannelFuture f = ch.writeAndFlush(new BinaryWebSocketFrame(Unpooled.copiedBuffer(b, off, len)));
            if (!ch.isWritable()) {
                f.syncUninterruptibly();
            }
        }
    }
}
