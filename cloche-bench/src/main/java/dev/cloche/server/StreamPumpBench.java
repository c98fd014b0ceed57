package dev.cloche.server;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The server's two stream pumps, per 64 KiB chunk (the core's pump size): {@link StreamRegistry.Sink}, which every
 * byte of a process's stdout/stderr passes on its way to the client's stream connection (here a claimed
 * EmbeddedChannel, outbound buffers released each call), and {@link ChunkPipe}, which carries a client's stdin
 * from the event loop to the core's pump (offer then read back on one thread: the lock and copy cost, no handoff).
 * In this package because both classes are package-private to cloche-server.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class StreamPumpBench {
    private static final int CHUNK = 64 * 1024;
    private final byte[] chunk = new byte[CHUNK];
    private final byte[] readBuf = new byte[CHUNK];
    private EmbeddedChannel channel;
    private StreamRegistry.Sink sink;
    private ChunkPipe pipe;

    @Setup(Level.Trial)
    public void setUp() {
        channel = new EmbeddedChannel();
        sink = new StreamRegistry.Sink();
        sink.claim(channel);
        pipe = new ChunkPipe(256 * 1024, 1024 * 1024);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        sink.close();
        channel.finishAndReleaseAll();
        pipe.close();
    }

    /** ops/s × 64 KiB = bytes/s through the stdout sink. */
    @Benchmark
    public boolean sinkWrite64k() throws Exception {
        sink.write(chunk, 0, CHUNK);
        return channel.releaseOutbound();
    }

    /** ops/s × 64 KiB = bytes/s through the stdin pipe. */
    @Benchmark
    public int chunkPipe64k() throws Exception {
        pipe.offer(chunk.clone()); // the event loop hands over its own copy of each chunk
        int n = 0;
        while (n < CHUNK) {
            n += pipe.read(readBuf, n, CHUNK - n);
        }
        return n;
    }
}
