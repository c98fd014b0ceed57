package dev.cloche.server;

import io.netty.channel.FileRegion;
import io.netty.util.AbstractReferenceCounted;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A file range whose channel belongs to the output's reader: sending it never closes the channel, which the
 * reader keeps reading from (positional, so concurrent use is safe). Netty's {@code DefaultFileRegion} closes it.
 */
final class BorrowedFileRegion extends AbstractReferenceCounted implements FileRegion {
    private final FileChannel file;
    private final long position;
    private final long count;
    private long transferred;

    BorrowedFileRegion(FileChannel file, long position, long count) {
        this.file = file;
        this.position = position;
        this.count = count;
    }

    @Override
    public long position() {
        return position;
    }

    @Override
    @Deprecated
    public long transfered() {
        return transferred;
    }

    @Override
    public long transferred() {
        return transferred;
    }

    @Override
    public long count() {
        return count;
    }

    @Override
    public long transferTo(WritableByteChannel target, long at) throws IOException {
        long n = file.transferTo(position + at, count - at, target);
        if (n == 0 && at < count && file.size() < position + count) {
            throw new IOException("output file ended before its range did");
        }
        transferred += n;
        return n;
    }

    @Override
    public BorrowedFileRegion retain() {
        super.retain();
        return this;
    }

    @Override
    public BorrowedFileRegion retain(int increment) {
        super.retain(increment);
        return this;
    }

    @Override
    public BorrowedFileRegion touch() {
        return this;
    }

    @Override
    public BorrowedFileRegion touch(Object hint) {
        return this;
    }

    @Override
    protected void deallocate() {
        // the channel is the reader's
    }
}
