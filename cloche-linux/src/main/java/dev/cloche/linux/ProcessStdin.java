package dev.cloche.linux;

import dev.cloche.linux.sys.Fifo;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A process's stdin through its {@code stdin} FIFO (docs/process-monitor.md §3). Our writer is opened lazily and
 * without blocking; closing it is not EOF for the process (the monitor holds a writer so that a daemon crash does not
 * end stdin), so Garden's stdin EOF also tells the monitor {@code close-stdin}. Writes after the process stopped
 * reading are discarded, as the SPI requires.
 */
final class ProcessStdin extends OutputStream {
    private final Path fifoPath;
    private final MonitorControl control;
    private final BooleanSupplier ended;
    private Fifo fifo;
    private boolean gone;
    private boolean eof;

    /** {@code ended}: whether the process has ended, when there is no monitor left to tell. */
    ProcessStdin(Path fifoPath, MonitorControl control, BooleanSupplier ended) {
        this.fifoPath = fifoPath;
        this.control = control;
        this.ended = ended;
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) {
        if (gone || eof || len == 0) return;
        try {
            if (fifo == null) {
                Optional<Fifo> f = Fifo.openWriter(fifoPath);
                if (f.isEmpty()) {
                    gone = true; // nobody reads any more
                    return;
                }
                fifo = f.get();
            }
            fifo.write(b, off, len);
        } catch (IOException e) {
            gone = true;
            release();
        }
    }

    @Override
    public synchronized void close() {
        if (eof) return;
        eof = true;
        release();
        if (ended.getAsBoolean()) return;
        try {
            control.closeStdin();
        } catch (IOException e) {
            // the monitor is gone, and with it the process's stdin
        }
    }

    /** Closes our writer, which is not EOF for the process; a later write opens it again. */
    synchronized void release() {
        if (fifo != null) {
            fifo.close();
            fifo = null;
        }
    }
}
