package dev.cloche.server;

import dev.cloche.api.GardenException;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.Signal;
import dev.cloche.wire.ProcessPayload;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Connection A of a Run or Attach after the HTTP codec is gone: starts (or attaches to) the process on a virtual
 * thread, answers with the hijacked head and the first payload, applies the client's NDJSON payloads in order,
 * writes the exit status and closes. If the client goes away first the caller is detached; the process keeps
 * running.
 */
final class ProcessConnection extends ChannelInboundHandlerAdapter {
    private static final Logger LOG = LoggerFactory.getLogger(ProcessConnection.class);
    private static final int PAUSE_AT = 64;
    private static final int RESUME_AT = 16;

    private final GardenEndpoint garden;
    private final GardenEndpoint.ProcessStart start;
    private final StreamRegistry registry;
    private final RequestLine line;
    /** Input lines in arrival order; empty = the connection ended. */
    private final LinkedBlockingQueue<Optional<String>> inbox = new LinkedBlockingQueue<>();
    private volatile Channel channel;
    /** Set once a payload stopped input processing (Go's rules): later lines are read and dropped. */
    private volatile boolean inputDone;

    ProcessConnection(GardenEndpoint garden, GardenEndpoint.ProcessStart start, StreamRegistry registry,
                      RequestLine line) {
        this.garden = garden;
        this.start = start;
        this.registry = registry;
        this.line = line;
    }

    void begin(Channel ch, Executor executor) {
        channel = ch;
        ch.closeFuture().addListener(f -> inbox.add(Optional.empty()));
        executor.execute(this::work);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf line = (ByteBuf) msg;
        try {
            if (inputDone) {
                return;
            }
            inbox.add(Optional.of(line.toString(StandardCharsets.UTF_8)));
        } finally {
            line.release();
        }
        if (inbox.size() > PAUSE_AT) {
            ctx.channel().config().setAutoRead(false);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.debug("process connection {} failed: {}", line.path(), cause.toString());
        ctx.close();
    }

    private void work() {
        Channel ch = channel;
        StreamRegistry.Entry streams = registry.open();
        ChunkPipe stdin = new ChunkPipe(64 * 1024, 1024 * 1024);
        ProcessIO io = new ProcessIO(Optional.of(stdin), Optional.of(streams.stdout), Optional.of(streams.stderr));
        Process process;
        try {
            process = garden.start(start, io);
        } catch (RuntimeException e) {
            streams.drop();
            Answer error = Answer.error(e);
            ch.writeAndFlush(Http.rawResponse(error)).addListener(ChannelFutureListener.CLOSE);
            log(error.status());
            return;
        }
        String pid = process.id();
        boolean run = start instanceof GardenEndpoint.Run;
        ByteBuf head = Http.hijackHead(run ? 201 : 200, run ? "Created" : "OK", true);
        head.writeCharSequence(ProcessPayload.hello(pid, streams.id).encode(), StandardCharsets.UTF_8);
        ch.writeAndFlush(head);
        log(run ? 201 : 200);
        process.onExit().whenComplete((code, err) -> {
            String last = err == null ? ProcessPayload.exit(pid, code).encode()
                    : ProcessPayload.failure(pid, String.valueOf(err.getMessage())).encode();
            stdin.finish();
            ch.writeAndFlush(Unpooled.copiedBuffer(last, StandardCharsets.UTF_8)).addListener(ChannelFutureListener.CLOSE);
        });
        try {
            readInput(ch, process, stdin, pid);
            inputDone = true;
            inbox.clear();
            ch.config().setAutoRead(true);
            ch.closeFuture().awaitUninterruptibly();
        } finally {
            stdin.finish();
            process.close();
            streams.release();
        }
    }

    /** Applies the client's payloads until the connection ends or a payload stops input (Go's order of checks). */
    private void readInput(Channel ch, Process process, ChunkPipe stdin, String pid) {
        while (true) {
            Optional<String> next;
            try {
                next = inbox.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            if (inbox.size() < RESUME_AT && !ch.config().isAutoRead()) {
                ch.config().setAutoRead(true);
            }
            if (next.isEmpty()) {
                return;
            }
            ProcessPayload p;
            try {
                p = ProcessPayload.decode(next.get());
            } catch (RuntimeException malformed) {
                stdin.finish();
                return;
            }
            try {
                if (p.tty().isPresent()) {
                    process.setTty(p.tty().get());
                } else if (p.source().isPresent()) {
                    if (p.data().isEmpty()) {
                        stdin.finish();
                        return;
                    }
                    if (!stdin.put(p.data().get().getBytes(StandardCharsets.UTF_8))) {
                        LOG.debug("stdin of {} closed; dropping input", pid);
                    }
                } else if (p.signal().isPresent() && (p.signal().get() == 0 || p.signal().get() == 1)) {
                    process.signal(p.signal().get() == 0 ? Signal.TERMINATE : Signal.KILL);
                } else {
                    stdin.finish();
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (GardenException e) {
                LOG.debug("payload for {} failed: {}", pid, e.getMessage());
            }
        }
    }

    private void log(int status) {
        long nanos = System.nanoTime() - line.startNanos();
        // the request id is the MDC's: log() runs inside the request's bound call (RequestLine.bound)
        LOG.info("method={} path={} status={} durationMs={}", line.method(), line.path(), status, nanos / 1_000_000);
        line.observer().answered(line.route(), status, nanos);
    }
}
