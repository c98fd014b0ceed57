package dev.cloche.server;

import dev.cloche.api.FileRangeSink;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.FileRegion;
import io.netty.channel.nio.AbstractNioByteChannel;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The stdout/stderr streams of every Run/Attach, by stream id. The core writes into a {@link Sink} from its own
 * pump threads; the sink blocks until the client's stdout/stderr GET arrives (so nothing is lost however late it
 * comes) and then writes with backpressure. An entry lives until {@code linger} after its Run/Attach connection
 * ended; a sink still unclaimed then discards, so the core's pump can finish.
 */
final class StreamRegistry {
    enum Kind { STDOUT, STDERR }

    private final Map<String, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong nextId = new AtomicLong();
    private final ScheduledExecutorService timer;
    private final Duration linger;

    StreamRegistry(ScheduledExecutorService timer, Duration linger) {
        this.timer = timer;
        this.linger = linger;
    }

    Entry open() {
        String id = Long.toString(nextId.incrementAndGet());
        Entry e = new Entry(id);
        entries.put(id, e);
        return e;
    }

    /** Server shutdown: every unclaimed sink discards from now on, so no core pump stays blocked. */
    void expireAll() {
        entries.values().forEach(Entry::drop);
    }

    Optional<Entry> get(String streamId) {
        return Optional.ofNullable(entries.get(streamId));
    }

    /** The stdout/stderr pair of one Run/Attach call. */
    final class Entry {
        final String id;
        final Sink stdout = new Sink();
        final Sink stderr = new Sink();

        private Entry(String id) {
            this.id = id;
        }

        Sink sink(Kind k) {
            return k == Kind.STDOUT ? stdout : stderr;
        }

        /** The Run/Attach connection is done: keep the streams claimable for the linger time, then expire. */
        void release() {
            try {
                timer.schedule(this::expire, linger.toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException shuttingDown) {
                expire();
            }
        }

        /** Removes the entry now (the process never started). */
        void drop() {
            expire();
        }

        private void expire() {
            entries.remove(id, this);
            stdout.expire();
            stderr.expire();
        }
    }

    /** A lossless OutputStream onto a stream connection that may not exist yet. */
    static final class Sink extends OutputStream implements FileRangeSink {
        /** The most the copying fallback of {@link #sendFileRange} reads into memory at once. */
        private static final int COPY_CHUNK = 256 * 1024;

        private final ReentrantLock lock = new ReentrantLock();
        private final Condition changed = lock.newCondition();
        private Channel channel;
        private boolean claimed;
        private boolean expired;
        private boolean closed;

        /** The client's stream GET arrived: from now on writes go to {@code ch}. False if already claimed. */
        boolean claim(Channel ch) {
            lock.lock();
            try {
                if (claimed || expired) {
                    return false;
                }
                claimed = true;
                channel = ch;
                changed.signalAll();
                if (closed) {
                    ch.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                }
                return true;
            } finally {
                lock.unlock();
            }
        }

        private void expire() {
            lock.lock();
            try {
                expired = true;
                changed.signalAll();
            } finally {
                lock.unlock();
            }
        }

        /** The channel to write to, after waiting for a claim; empty means discard. */
        private Optional<Channel> target() throws IOException {
            lock.lock();
            try {
                while (!claimed && !expired && !closed) {
                    changed.awaitUninterruptibly();
                }
                if (closed) {
                    throw new IOException("stream closed");
                }
                return claimed && channel.isActive() ? Optional.of(channel) : Optional.empty();
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return;
            }
            Optional<Channel> ch = target();
            if (ch.isEmpty()) {
                return; // unclaimed past the linger time, or the client went away: output is dropped, as in Go
            }
            Channel c = ch.get();
            // one copy, into a pooled direct buffer the socket write takes as it is (a heap copy would be zeroed
            // on allocation and copied again to direct memory on the event loop)
            c.writeAndFlush(c.alloc().directBuffer(len).writeBytes(b, off, len));
            awaitWritable(c);
        }

        /**
         * One range of the process's output file. A plain socket takes it as a {@link FileRegion}, which Netty's NIO
         * transport sends with {@code FileChannel.transferTo}, i.e. {@code sendfile(2)}: the bytes go from the file's
         * pages to the socket in the kernel. Returns once the range is written, so the file may then release it.
         * Where the channel cannot take a file region (TLS encrypts in the JVM; a test's embedded channel) the
         * range is copied in chunks as {@link #write} would.
         */
        @Override
        public void sendFileRange(FileChannel file, long position, long count) throws IOException {
            if (count == 0) {
                return;
            }
            Optional<Channel> ch = target();
            if (ch.isEmpty()) {
                return; // as write: dropped
            }
            Channel c = ch.get();
            if (!sendsFiles(c)) {
                copyRange(c, file, position, count);
                return;
            }
            ChannelFuture sent = c.writeAndFlush(new BorrowedFileRegion(file, position, count)).awaitUninterruptibly();
            if (!sent.isSuccess()) {
                throw new IOException("stream connection failed", sent.cause());
            }
        }

        /** Whether {@code c} writes a {@link FileRegion} with sendfile: a NIO socket with nothing that encrypts. */
        static boolean sendsFiles(Channel c) {
            return c instanceof AbstractNioByteChannel && c.pipeline().get(SslHandler.class) == null;
        }

        private static void copyRange(Channel c, FileChannel file, long position, long count) throws IOException {
            long end = position + count;
            for (long at = position; at < end; ) {
                int n = (int) Math.min(COPY_CHUNK, end - at);
                ByteBuf buf = c.alloc().directBuffer(n);
                try {
                    while (buf.writerIndex() < n) {
                        if (buf.writeBytes(file, at + buf.writerIndex(), n - buf.writerIndex()) < 0) {
                            throw new IOException("output file ended before its range did");
                        }
                    }
                } catch (IOException | RuntimeException e) {
                    buf.release();
                    throw e;
                }
                at += n;
                c.writeAndFlush(buf);
                awaitWritable(c);
            }
        }

        private static void awaitWritable(Channel c) {
            Http.Writability gate = (Http.Writability) c.pipeline().get(GardenServer.GATE);
            if (gate != null) {
                gate.awaitWritable(c);
            }
        }

        /** Output ended: flush and close the stream connection (now, or as soon as it is claimed). Idempotent. */
        @Override
        public void close() {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                changed.signalAll();
                if (claimed) {
                    channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /** The raw side of a claimed stream connection: the client sends nothing more, so input is discarded. */
    static final class StreamConnection extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }
}
