package dev.cloche.console.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * An open container file: its bytes spooled in a private host temporary file (mode 0600, never named to the
 * client), so SFTP's reads and writes at any offset work on it. A file opened for writing is copied back into the
 * container on close, whole; the temporary file is deleted on close either way.
 */
final class SpooledFileChannel implements SeekableByteChannel {
    private final ContainerFiles files;
    private final String path;
    private final boolean writable;
    private final Runnable onWrite;
    private final Path spool;
    private final FileChannel channel;

    private SpooledFileChannel(ContainerFiles files, String path, boolean writable, Runnable onWrite, Path spool,
                               FileChannel channel) {
        this.files = files;
        this.path = path;
        this.writable = writable;
        this.onWrite = onWrite;
        this.spool = spool;
        this.channel = channel;
    }

    /**
     * @param load copy the container file's current bytes in first (reading, or writing without truncation)
     * @param onWrite called after the file was written back (the attribute cache forgets)
     */
    static SpooledFileChannel open(ContainerFiles files, String path, boolean load, boolean writable, boolean append,
                                   Runnable onWrite) throws IOException {
        Path spool = Files.createTempFile("cloche-sftp-", ".spool",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        try {
            if (load) {
                try (OutputStream out = Files.newOutputStream(spool)) {
                    files.read(path, out);
                }
            }
            FileChannel channel = FileChannel.open(spool, StandardOpenOption.READ, StandardOpenOption.WRITE);
            if (append) {
                channel.position(channel.size());
            }
            return new SpooledFileChannel(files, path, writable, onWrite, spool, channel);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(spool);
            throw e;
        }
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        return channel.read(dst);
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
        if (!writable) {
            throw new java.nio.channels.NonWritableChannelException();
        }
        return channel.write(src);
    }

    @Override
    public long position() throws IOException {
        return channel.position();
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
        channel.position(newPosition);
        return this;
    }

    @Override
    public long size() throws IOException {
        return channel.size();
    }

    @Override
    public SeekableByteChannel truncate(long size) throws IOException {
        if (!writable) {
            throw new java.nio.channels.NonWritableChannelException();
        }
        channel.truncate(size);
        return this;
    }

    @Override
    public boolean isOpen() {
        return channel.isOpen();
    }

    @Override
    public void close() throws IOException {
        if (!channel.isOpen()) {
            return;
        }
        try {
            channel.close();
            if (writable) {
                try (InputStream in = Files.newInputStream(spool)) {
                    files.write(path, in);
                }
                onWrite.run();
            }
        } finally {
            Files.deleteIfExists(spool);
        }
    }
}
