package dev.cloche.linux;

import dev.cloche.api.GardenError;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.linux.sys.Pty;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * A process started by {@code runtime exec} as a child of this JVM: the runtime passes stdio straight through and
 * exits with the process's status (128+signo when killed). Output goes to {@code stdout}/{@code stderr} files in the
 * process dir; the host pid comes from the runtime's pid file.
 */
final class LinuxProcess implements BackendProcess, AutoCloseable {
    private final String id;
    private final java.lang.Process child;
    private final Path pidFile;
    private final OutputLog stdout;
    private final OutputLog stderr;
    private final OutputStream stdin;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final Optional<Pty> pty;

    LinuxProcess(String id, java.lang.Process child, Path dir) throws IOException {
        this.id = id;
        this.child = child;
        this.pidFile = dir.resolve("pid");
        this.stdout = new OutputLog(dir.resolve("stdout"));
        this.stderr = new OutputLog(dir.resolve("stderr"));
        this.stdin = new SwallowingOutputStream(child.getOutputStream());
        this.pty = Optional.empty();
        Thread out = Thread.ofVirtual().name("stdout-" + id).start(() -> stdout.pump(child.getInputStream()));
        Thread err = Thread.ofVirtual().name("stderr-" + id).start(() -> stderr.pump(child.getErrorStream()));
        awaitExit(out, err);
    }

    /**
     * A process on a terminal: the runtime's stdio is the slave of {@code pty}, so stdout carries the process's
     * stdout and stderr (and the runtime's own errors); stderr stays empty.
     */
    LinuxProcess(String id, java.lang.Process child, Path dir, Pty pty) throws IOException {
        this.id = id;
        this.child = child;
        this.pidFile = dir.resolve("pid");
        this.stdout = new OutputLog(dir.resolve("stdout"));
        this.stderr = new OutputLog(dir.resolve("stderr"));
        this.stdin = new TerminalInput(pty);
        this.pty = Optional.of(pty);
        // a platform thread: the read blocks in native code, which would pin a virtual thread's carrier
        Thread out = Thread.ofPlatform().daemon().name("pty-" + id).start(() -> stdout.pump(new TerminalOutput(pty)));
        awaitExit(out);
    }

    private void awaitExit(Thread... pumps) {
        Thread.ofVirtual().name("exit-" + id).start(() -> {
            try {
                int code = child.waitFor();
                // the status is published only after all output is in the logs, so a reader that sees the exit sees everything
                for (Thread t : pumps) t.join();
                stderr.finish();
                exit.complete(code);
            } catch (InterruptedException e) {
                exit.completeExceptionally(e);
            }
        });
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream openStdout() {
        return stdout.open();
    }

    @Override
    public InputStream openStderr() {
        return stderr.open();
    }

    @Override
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    @Override
    public void signal(Signal signal) {
        if (exit.isDone()) return;
        long pid = hostPid();
        if (pid <= 0) {
            if (exit.isDone()) return;
            throw GardenError.internal("process " + id + " has no pid yet");
        }
        // ProcessHandle checks the start time too, so a recycled pid is never signalled
        ProcessHandle.of(pid).ifPresent(h -> {
            if (signal == Signal.KILL) h.destroyForcibly();
            else h.destroy();
        });
    }

    /**
     * Waits until the runtime has started the process (its pid file exists), as Guardian's run does: a signal or a
     * stop that came earlier would hit the runtime's own set-up and report 255 instead of 128+signo. A runtime that
     * exits before that failed to start the process; its error is thrown with the runtime's own message.
     */
    void awaitStarted() {
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (System.nanoTime() < deadline) {
            if (readPid() > 0) {
                return;
            }
            if (!child.isAlive()) {
                int code = exit.join();
                if (readPid() > 0) {
                    return; // started and already finished
                }
                String why;
                // on a terminal the runtime's own errors went to stdout
                try (InputStream in = (pty.isPresent() ? stdout : stderr).open()) {
                    why = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
                } catch (IOException e) {
                    why = "(runtime output unreadable: " + e.getMessage() + ")";
                }
                throw GardenError.internal("cannot start process " + id + " (runtime exit " + code + "): " + why);
            }
            try {
                Thread.sleep(1); // no event exists for "pid file written"; runc takes ~10-30 ms here
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw GardenError.internal("interrupted while starting process " + id);
            }
        }
        throw GardenError.internal("process " + id + " did not start within 60 s");
    }

    private long readPid() {
        try {
            String s = Files.readString(pidFile).strip();
            return s.isEmpty() ? -1 : Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    /** The host pid from the runtime's pid file, waiting (bounded) for it when signalled right after start. */
    private long hostPid() {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!exit.isDone()) {
            try {
                String s = Files.readString(pidFile).strip();
                if (!s.isEmpty()) return Long.parseLong(s);
            } catch (IOException | NumberFormatException e) {
                // the runtime writes the pid file once the process exists; there is no event for that
            }
            if (System.nanoTime() > deadline) return -1;
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
        }
        return -1;
    }

    @Override
    public void resize(TtySpec tty) {
        if (pty.isEmpty() || exit.isDone()) return; // without a terminal there is no window
        TtySpec.WindowSize w = LinuxProcess.window(tty);
        try {
            pty.get().resize(w.rows(), w.columns());
        } catch (IOException e) {
            if (exit.isDone()) return;
            throw GardenError.internal("cannot resize the terminal of " + id + ": " + e.getMessage(), e);
        }
        // the runtime copies the host terminal's window into the container's pty on SIGWINCH, and the kernel then
        // signals the process; the runtime is not in the host terminal's foreground group, so it is told directly
        Pty.signal(child.pid(), Pty.SIGWINCH);
    }

    /** Garden's default window is 80x24; a size with a zero dimension counts as absent. */
    static TtySpec.WindowSize window(TtySpec tty) {
        return tty.windowSize().filter(w -> w.columns() > 0 && w.rows() > 0).orElse(new TtySpec.WindowSize(80, 24));
    }

    /** Kills the runtime child (not the container process) and ends the logs; used when the container goes. */
    @Override
    public void close() {
        child.destroyForcibly();
        try {
            child.getOutputStream().close();
        } catch (IOException e) {
            // already closed
        }
        List.of(stdout, stderr).forEach(OutputLog::close);
    }

    /** Reads the pty master until every slave is closed; closing it closes the master. */
    private static final class TerminalOutput extends InputStream {
        private final Pty pty;

        TerminalOutput(Pty pty) {
            this.pty = pty;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            byte[] buf = new byte[len];
            int n = pty.read(buf);
            if (n <= 0) return n;
            n = collapseCarriageReturns(buf, n);
            System.arraycopy(buf, 0, b, off, n);
            return n;
        }

        @Override
        public void close() {
            pty.close();
        }
    }

    /**
     * Turns {@code \r\r\n} into {@code \r\n} in place and returns the new length. runc clears onlcr on the
     * container's pty only after the process may already have written, and the host pty translates as well, so
     * early lines would otherwise end in {@code \r\r\n}. Both translations of one line reach a single read.
     */
    static int collapseCarriageReturns(byte[] buf, int n) {
        int w = 0;
        for (int r = 0; r < n; r++) {
            if (buf[r] == '\r' && r + 2 < n && buf[r + 1] == '\r' && buf[r + 2] == '\n') continue;
            buf[w++] = buf[r];
        }
        return w;
    }

    /**
     * Stdin on a terminal: bytes go to the master; closing sends EOT (^D), which the line discipline turns into
     * end-of-file for the reader, since closing the master would hang up the terminal and lose pending output.
     */
    private static final class TerminalInput extends OutputStream {
        private final Pty pty;
        private boolean closed;

        TerminalInput(Pty pty) {
            this.pty = pty;
        }

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            if (closed) return;
            try {
                pty.write(b, off, len);
            } catch (IOException e) {
                // the process is gone
            }
        }

        @Override
        public synchronized void close() {
            if (closed) return;
            write(new byte[] {4}, 0, 1);
            closed = true;
        }
    }

    /** Writes after the process exited (broken pipe) are discarded, as the SPI requires. */
    private static final class SwallowingOutputStream extends OutputStream {
        private final OutputStream delegate;

        SwallowingOutputStream(OutputStream delegate) {
            this.delegate = delegate;
        }

        @Override
        public void write(int b) {
            try {
                delegate.write(b);
            } catch (IOException e) {
                // the process is gone
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            try {
                delegate.write(b, off, len);
                // the JDK buffers process stdin; attachers expect each write to reach the process
                delegate.flush();
            } catch (IOException e) {
                // the process is gone
            }
        }

        @Override
        public void flush() {
            try {
                delegate.flush();
            } catch (IOException e) {
                // the process is gone
            }
        }

        @Override
        public void close() {
            try {
                delegate.close();
            } catch (IOException e) {
                // the process is gone
            }
        }
    }
}
