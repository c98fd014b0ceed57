package dev.cloche.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerDomainSocketChannel;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The stdout/stderr sink's file-range path: sendfile onto a real socket, the copying fallback elsewhere. */
class StreamSinkTest {
    @TempDir Path tmp;

    private Path outputFile(int size) throws IOException {
        byte[] bytes = new byte[size];
        for (int i = 0; i < size; i++) bytes[i] = (byte) (i * 31 + i / 7);
        Path file = tmp.resolve("stdout");
        Files.write(file, bytes);
        return file;
    }

    @Test
    void aChannelThatCannotSendFilesGetsTheRangeCopiedInChunks() throws Exception {
        Path file = outputFile(700 * 1024);
        EmbeddedChannel ch = new EmbeddedChannel();
        assertThat(StreamRegistry.Sink.sendsFiles(ch)).isFalse();
        StreamRegistry.Sink sink = new StreamRegistry.Sink();
        assertThat(sink.claim(ch)).isTrue();
        try (FileChannel f = FileChannel.open(file, StandardOpenOption.READ)) {
            sink.sendFileRange(f, 1000, 600 * 1024);
            assertThat(f.isOpen()).as("the reader's channel stays open").isTrue();
        }
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        int chunks = 0;
        for (ByteBuf b; (b = ch.readOutbound()) != null; chunks++) {
            byte[] a = new byte[b.readableBytes()];
            b.readBytes(a);
            b.release();
            got.write(a);
        }
        assertThat(chunks).as("256 KiB at a time").isEqualTo(3);
        assertThat(got.toByteArray()).isEqualTo(Arrays.copyOfRange(Files.readAllBytes(file), 1000, 1000 + 600 * 1024));
        ch.finishAndReleaseAll();
    }

    @Test
    void aUnixSocketGetsTheRangeAsAFileRegionAndTheChannelStaysTheReaders() throws Exception {
        Path file = outputFile(3 * 1024 * 1024 + 123);
        Path socket = tmp.resolve("s.sock");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(NioServerDomainSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            accepted.complete(ctx.channel());
                        }
                    })
                    .bind(UnixDomainSocketAddress.of(socket)).sync().channel();
            try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX);
                    FileChannel f = FileChannel.open(file, StandardOpenOption.READ)) {
                client.connect(UnixDomainSocketAddress.of(socket));
                Channel ch = accepted.get(5, TimeUnit.SECONDS);
                assertThat(StreamRegistry.Sink.sendsFiles(ch)).isTrue();
                StreamRegistry.Sink sink = new StreamRegistry.Sink();
                assertThat(sink.claim(ch)).isTrue();
                CompletableFuture<byte[]> read = CompletableFuture.supplyAsync(() -> readToEof(client));
                // two ranges, the second larger than the socket's buffer, so the region is written in parts
                sink.sendFileRange(f, 0, 5);
                sink.sendFileRange(f, 5, Files.size(file) - 5);
                assertThat(f.isOpen()).as("sending never closes the reader's channel").isTrue();
                sink.close();
                assertThat(read.get(10, TimeUnit.SECONDS)).isEqualTo(Files.readAllBytes(file));
                assertThatThrownBy(() -> sink.sendFileRange(f, 0, 5)).isInstanceOf(IOException.class);
            } finally {
                server.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    @Test
    void aClientThatWentAwayNeverHoldsTheSenderUp() throws Exception {
        Path file = outputFile(8 * 1024 * 1024);
        Path socket = tmp.resolve("gone.sock");
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        CompletableFuture<Channel> accepted = new CompletableFuture<>();
        try {
            Channel server = new ServerBootstrap().group(group).channel(NioServerDomainSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelActive(ChannelHandlerContext ctx) {
                            accepted.complete(ctx.channel());
                        }
                    })
                    .bind(UnixDomainSocketAddress.of(socket)).sync().channel();
            try (FileChannel f = FileChannel.open(file, StandardOpenOption.READ)) {
                StreamRegistry.Sink sink = new StreamRegistry.Sink();
                try (SocketChannel client = SocketChannel.open(StandardProtocolFamily.UNIX)) {
                    client.connect(UnixDomainSocketAddress.of(socket));
                    assertThat(sink.claim(accepted.get(5, TimeUnit.SECONDS))).isTrue();
                }
                // the client read nothing and has gone: each send fails, or is dropped once the channel is
                // inactive (as a write is); neither may wait for a reader that will never come
                CompletableFuture<Void> sends = CompletableFuture.runAsync(() -> {
                    for (int i = 0; i < 3; i++) {
                        try {
                            sink.sendFileRange(f, 0, Files.size(file));
                        } catch (IOException expected) {
                            // the socket was closed under the region
                        }
                    }
                });
                sends.get(10, TimeUnit.SECONDS);
            } finally {
                server.close().sync();
            }
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static byte[] readToEof(SocketChannel client) {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        try {
            while (client.read(buf.clear()) >= 0) all.write(buf.array(), 0, buf.position());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return all.toByteArray();
    }
}
