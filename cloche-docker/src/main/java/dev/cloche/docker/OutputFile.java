package dev.cloche.docker;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One output stream of a process, kept in a file on the host from the first byte: one writer appends what the
 * engine sends, and every reader replays from byte 0 and then follows until the stream has ended. A file, not the
 * heap, so a chatty process costs disk rather than memory, and output of exited processes survives a restart.
 */
final class OutputFile {
    private final Path path;
    private final FileChannel writer;
    private long size;
    private boolean ended;

    private OutputFile(Path path, FileChannel writer, long size, boolean ended) {
        this.path = path;
        this.writer = writer;
        this.size = size;
        this.ended = ended;
    }

    /** A new, empty stream that is being written. */
    static OutputFile create(Path path) throws IOException {
        FileChannel w = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
        return new OutputFile(path, w, 0, false);
    }

    /** A stream written before a restart: complete as it is, nothing more will come. */
    static OutputFile ended(Path path) throws IOException {
        if (!Files.exists(path)) Files.createFile(path);
        return new OutputFile(path, null, Files.size(path), true);
    }

    void append(byte[] b, int off, int len) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(b, off, len);
        synchronized (this) {
            if (ended) return;
            while (buf.hasRemaining()) writer.write(buf);
            size += len;
            notifyAll();
        }
    }

    /** No more output: readers get EOF once they have read everything. */
    synchronized void end() {
        if (ended) return;
        ended = true;
        try {
            if (writer != null) writer.close();
        } catch (IOException e) {
            // the bytes are written; closing the writer only releases it
        }
        notifyAll();
    }

    /** A reader from byte 0 that blocks for more until the stream has ended. */
    InputStream open() {
        FileChannel r;
        try {
            r = FileChannel.open(path, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new UncheckedIOException("process output is gone: " + path, e);
        }
        return new InputStream() {
            private long position;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) return 0;
                synchronized (OutputFile.this) {
                    while (position >= size && !ended) {
                        try {
                            OutputFile.this.wait();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            throw new InterruptedIOException("interrupted while following output");
                        }
                    }
                    if (position >= size) return -1;
                    len = (int) Math.min(len, size - position);
                }
                int n = r.read(ByteBuffer.wrap(b, off, len), position);
                if (n > 0) position += n;
                return n;
            }

            @Override
            public void close() throws IOException {
                r.close();
            }
        };
    }
}
