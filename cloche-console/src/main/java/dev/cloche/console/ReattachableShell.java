package dev.cloche.console;

import dev.cloche.api.GardenException;
import dev.cloche.api.Process;
import dev.cloche.api.Signal;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An interactive shell that outlives its SSH connection: its stdin is a {@link ShellInput} that a dropped client's
 * end of input does not close, and the offset of its output the clients have been handed is counted, so a session
 * that reattaches skips what the dropped one already got (Garden replays a process's output from its first kept byte
 * on attach). Its parked state and expiry timer are guarded by the owning {@link Tasks}' lock (see {@link ShellParking}).
 */
final class ReattachableShell {
    final ShellInput input = new ShellInput();
    private final AtomicLong delivered = new AtomicLong();
    private volatile Optional<Process> control = Optional.empty();
    boolean parked;
    Optional<Scheduler.Cancellable> expiry = Optional.empty();

    /** The attachment that started the shell: it holds the stdin pump, and signals go through it. */
    void started(Process p) {
        control = Optional.of(p);
    }

    String processId() {
        return control.orElseThrow(() -> new IllegalStateException("shell not started")).id();
    }

    /** Output bytes (from the process's first) the clients have been handed. */
    long delivered() {
        return delivered.get();
    }

    /** The client's side of one attachment, which drops the first {@code skip} bytes of the replay. */
    OutputStream output(OutputStream client, long skip) {
        return new Offset(client, skip);
    }

    /** Ends the shell (the reconnect grace ran out, or nobody can reconnect any more); never throws. */
    void kill() {
        control.ifPresent(p -> {
            try {
                if (!p.onExit().isDone()) {
                    p.signal(Signal.KILL);
                }
            } catch (GardenException e) {
                // already gone with its container
            }
        });
        input.end();
    }

    private final class Offset extends FilterOutputStream {
        private final long skip;
        private long position;

        Offset(OutputStream out, long skip) {
            super(out);
            this.skip = skip;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            long end = position + len;
            if (end > skip) {
                int from = (int) Math.max(0, skip - position);
                out.write(b, off + from, len - from);
                delivered.accumulateAndGet(end, Math::max);
            }
            position = end;
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }
    }

    /**
     * The shell's stdin for its whole life: reads from the attached client's input; when that ends (the client
     * dropped) it waits for the next client instead of passing the end on, until {@link #end()}.
     */
    static final class ShellInput extends InputStream {
        private InputStream source;
        private boolean ended;

        synchronized void attach(InputStream in) {
            source = in;
            notifyAll();
        }

        synchronized void end() {
            ended = true;
            notifyAll();
        }

        private synchronized InputStream await() throws InterruptedIOException {
            while (!ended && source == null) {
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException();
                }
            }
            return ended ? null : source;
        }

        private synchronized void drop(InputStream gone) {
            if (source == gone) {
                source = null;
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            while (true) {
                InputStream in = await();
                if (in == null) {
                    return -1;
                }
                int n;
                try {
                    n = in.read(b, off, len);
                } catch (IOException gone) {
                    n = -1;
                }
                if (n >= 0) {
                    return n;
                }
                drop(in); // this client is gone: wait for the next one
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }
    }
}
