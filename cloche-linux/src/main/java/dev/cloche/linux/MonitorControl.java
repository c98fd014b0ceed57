package dev.cloche.linux;

import dev.cloche.linux.sys.Fifo;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The commands a running monitor takes on its {@code ctl} FIFO (docs/process-monitor.md §3), one atomic line each.
 * Each is false when the monitor is gone (nobody reads the FIFO any more).
 */
record MonitorControl(Path ctl) {
    /** Ends the process's stdin: the monitor closes its own writer (TTY: sends EOT). */
    boolean closeStdin() throws IOException {
        return Fifo.writeLine(ctl, "close-stdin");
    }

    /** Sets the terminal's window: TIOCSWINSZ on the master, and the kernel sends SIGWINCH to the foreground group. */
    boolean resize(int rows, int columns) throws IOException {
        return Fifo.writeLine(ctl, "resize " + rows + " " + columns);
    }
}
