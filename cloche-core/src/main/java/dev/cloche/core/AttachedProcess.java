package dev.cloche.core;

import dev.cloche.api.FileRangeSink;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.spi.BackendProcess;
import dev.cloche.spi.FileBackedOutput;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One caller's attachment to a backend process: pumps the backend's (replayable) output into the caller's writers
 * and the caller's stdin into the process, each on its own virtual thread, and holds the container's grace timer
 * until the caller detaches or the process has exited and its output is delivered.
 */
final class AttachedProcess implements Process {
    private static final Logger log = LoggerFactory.getLogger(AttachedProcess.class);

    private final BackendProcess process;
    private final GraceTimer timer;
    private final List<InputStream> readers = new ArrayList<>();
    private final List<Thread> outputPumps = new ArrayList<>();
    private final AtomicBoolean released = new AtomicBoolean();
    private final CompletableFuture<Integer> delivered = new CompletableFuture<>();

    AttachedProcess(BackendProcess process, ProcessIO io, GraceTimer timer) {
        this.process = process;
        this.timer = timer;
        timer.hold();
        io.stdout().ifPresent(out -> startOutputPump("stdout", process.openStdout(), out));
        io.stderr().ifPresent(err -> startOutputPump("stderr", process.openStderr(), err));
        io.stdin().ifPresent(this::startStdinPump);
        List<Thread> pumps = List.copyOf(outputPumps);
        process.exit().whenComplete((code, failure) -> Thread.ofVirtual().start(() -> {
            for (Thread t : pumps) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (failure != null) {
                delivered.completeExceptionally(failure);
            } else {
                delivered.complete(code);
            }
            release();
        }));
    }

    private static final int MIN_CHUNK = 64 * 1024;
    private static final int MAX_CHUNK = 256 * 1024;

    private void startOutputPump(String name, InputStream from, OutputStream to) {
        readers.add(from);
        outputPumps.add(Thread.ofVirtual().name(process.id() + "-" + name).start(() -> {
            try (from) {
                if (from instanceof FileBackedOutput file && to instanceof FileRangeSink sink) {
                    // output kept in a file, caller able to send file ranges: the bytes skip the JVM
                    file.sendTo(sink);
                } else {
                    copy(from, to);
                }
            } catch (IOException e) {
                // The caller's writer went away (client disconnected): stop delivering, the process goes on.
                log.debug("{} pump of process {} ended: {}", name, process.id(), e.toString());
            }
            try {
                to.close();
            } catch (IOException ignored) {
                // nothing more to deliver
            }
        }));
    }

    private static void copy(InputStream from, OutputStream to) throws IOException {
        // Each chunk is a hand-off to the event loop and a wake-up of the reader, so a stream that fills the
        // buffer gets a larger one (up to 256 KiB); the many processes that write little keep 64 KiB each.
        byte[] buf = new byte[MIN_CHUNK];
        int n;
        while ((n = from.read(buf)) >= 0) {
            to.write(buf, 0, n);
            to.flush();
            if (n == buf.length && buf.length < MAX_CHUNK) buf = new byte[buf.length * 2];
        }
    }

    private void startStdinPump(InputStream in) {
        Thread.ofVirtual().name(process.id() + "-stdin").start(() -> {
            OutputStream to = process.stdin();
            byte[] buf = new byte[32 * 1024];
            try (in) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    to.write(buf, 0, n);
                    to.flush();
                }
            } catch (IOException e) {
                log.debug("stdin pump of process {} ended: {}", process.id(), e.toString());
            }
            // Garden: the end of the caller's stdin (or the caller going away) closes the process's stdin.
            try {
                to.close();
            } catch (IOException ignored) {
                // already closed or exited
            }
        });
    }

    @Override
    public String id() {
        return process.id();
    }

    @Override
    public int await() {
        return delivered.join();
    }

    @Override
    public CompletableFuture<Integer> onExit() {
        return process.exit().copy();
    }

    @Override
    public void setTty(TtySpec tty) {
        process.resize(tty);
    }

    @Override
    public void signal(Signal signal) {
        process.signal(signal);
    }

    @Override
    public void close() {
        if (process.exit().isDone()) {
            // The output is complete and finite: let the pumps finish delivering it. Cutting them here lost the
            // output of fast processes whose caller detaches on exit (the Garden server closes the control
            // connection when the exit status is sent, while the stdout connection may still be on its way).
            release();
            return;
        }
        for (InputStream r : readers) {
            try {
                r.close();
            } catch (IOException ignored) {
                // best effort: the pump ends on its next read
            }
        }
        release();
    }

    private void release() {
        if (released.compareAndSet(false, true)) {
            timer.release();
        }
    }
}
