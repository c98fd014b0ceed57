package dev.cloche.linux;

import dev.cloche.api.GardenError;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.linux.sys.CommandResult;
import dev.cloche.linux.sys.CommandRunner;
import dev.cloche.linux.sys.DirectoryWatcher;
import dev.cloche.linux.sys.Fifo;
import dev.cloche.linux.sys.ProcessTable;
import dev.cloche.linux.sys.SparseFiles;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A process run under {@code cloche-monitor} (docs/process-monitor.md): the monitor, not this JVM, is the process's
 * parent, so the process, its output and its exit status outlive a daemon crash. Everything is read from the
 * process directory: the process writes {@code stdout}/{@code stderr} itself (under a TTY the monitor copies the pty
 * there), the monitor renames {@code exit} into place once the process is reaped and its output is complete.
 * Readers follow the files by offset and wake on inotify events for the directory.
 */
final class MonitoredProcess implements BackendProcess, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MonitoredProcess.class);
    /** Reported when the monitor died without recording the exit status (it was SIGKILLed): the status is gone. */
    static final int LOST_EXIT = 255;
    /** Files of the process directory that are ours, not the monitor's. */
    static final String ID_FILE = Depot.ProcessDir.ID_FILE;
    private static final Duration READ_WAIT = Duration.ofMillis(250);
    /**
     * Output every reader has consumed is released from its file in steps of {@code RELEASE_STEP}, always keeping
     * the last {@code KEEP} bytes before the slowest reader, so a later attach still replays recent output
     * (docs/process-monitor.md §2).
     */
    static final long KEEP = 1 << 20;
    static final long RELEASE_STEP = 4 << 20;

    private final String id;
    private final Depot.ProcessDir dir;
    private final boolean tty;
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Stdin stdin;
    private long changes;
    private volatile long pid = -1;
    private volatile long monitorPid = -1;
    private final ProcessTable table;
    private volatile Optional<ProcessTable.Handle> monitor = Optional.empty();
    private volatile boolean adopted;
    private volatile AutoCloseable watch = () -> {};
    private volatile boolean closed;
    private volatile boolean orphaned;
    /** Open readers, per file, and how far each file's consumed prefix has been released. */
    private final java.util.Set<Tail> tails = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private final java.util.Map<Path, Long> released = new java.util.HashMap<>();

    private MonitoredProcess(String id, Depot.ProcessDir dir, boolean tty, ProcessTable table) {
        this.table = table;
        this.id = id;
        this.dir = dir;
        this.tty = tty;
        this.stdin = new Stdin();
    }

    /**
     * Starts the monitor, which runs {@code runtime exec --detach} and prints one line: the host pid, or
     * {@code error: <runtime's message>}. Returns once the process runs; the directory must hold only
     * {@code process.json} and our own files.
     */
    static MonitoredProcess start(String id, Depot.ProcessDir dir, boolean tty, List<String> monitorArgv, CommandRunner runner,
                                  DirectoryWatcher watcher, ProcessTable table) throws IOException {
        Files.writeString(dir.id(), id);
        if (tty) Files.writeString(dir.tty(), "");
        MonitoredProcess p = new MonitoredProcess(id, dir, tty, table);
        // watching before the start: a process that exits at once must not slip past us
        p.watch = watcher.watch(dir.dir(), p::onChange);
        try {
            CommandResult r = runner.runPiped(monitorArgv);
            String line = r.stdout().strip();
            if (r.exitCode() != 0 || !line.matches("\\d+")) {
                String why = line.startsWith("error: ") ? line.substring(7)
                        : "monitor exit " + r.exitCode() + ": " + (line + " " + r.stderr()).strip();
                throw GardenError.internal("cannot start process " + id + ": " + why);
            }
            p.pid = Long.parseLong(line);
            p.adoptMonitor();
            p.onChange();
            return p;
        } catch (RuntimeException e) {
            p.close();
            throw e;
        }
    }

    /** What a restart finds in one process directory (docs/process-monitor.md §5). */
    sealed interface Found {
        /** Running, or exited with its status recorded: attachable as before. */
        record Restored(MonitoredProcess process) implements Found {}

        /** The start never completed and no monitor is left: nothing to attach. */
        record NeverStarted(Depot.ProcessDir dir, String reason) implements Found {}
    }

    static Found restore(Depot.ProcessDir dir, DirectoryWatcher watcher, ProcessTable table) throws IOException {
        String id;
        try {
            id = Files.readString(dir.id());
        } catch (NoSuchFileException e) {
            return new Found.NeverStarted(dir, "no process id recorded");
        }
        MonitoredProcess p = new MonitoredProcess(id, dir, Files.exists(dir.tty()), table);
        p.pid = readLong(dir.pid());
        p.adoptMonitor();
        Optional<Integer> code = readExit(dir);
        if (code.isPresent()) {
            p.exit.complete(code.get());
            return new Found.Restored(p);
        }
        boolean live = p.monitor.filter(ProcessTable.Handle::isAlive).isPresent() && p.monitorRuns();
        if (live) {
            p.watch = watcher.watch(dir.dir(), p::onChange);
            p.onChange(); // the exit may have landed between the checks and the watch
            return new Found.Restored(p);
        }
        if (p.pid <= 0) {
            return new Found.NeverStarted(dir, "the runtime never reported a pid and no monitor is left");
        }
        code = readExit(dir); // the monitor may have finished just now
        if (code.isEmpty()) {
            LOG.error("process {} lost its monitor (pid {}): its exit status is unknown, reporting {}", id, p.monitorPid, LOST_EXIT);
            p.orphaned = true;
        }
        p.exit.complete(code.orElse(LOST_EXIT));
        return new Found.Restored(p);
    }

    /** The monitor is who we think it is: /proc/PID/cmdline names cloche-monitor and this directory (pid reuse). */
    private boolean monitorRuns() {
        List<String> args = table.commandLine(monitorPid);
        return !args.isEmpty() && args.getFirst().endsWith("cloche-monitor") && args.contains(dir.dir().toString());
    }

    private void adoptMonitor() {
        long m = readLong(dir.monitorPid());
        monitorPid = m;
        // a handle remembers the start time, so isAlive() is false for a recycled pid
        monitor = m > 0 ? table.find(m) : Optional.empty();
        adopted = true;
    }

    private static long readLong(Path file) {
        try {
            String s = Files.readString(file).strip();
            return s.isEmpty() ? -1 : Long.parseLong(s);
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
    }

    private static Optional<Integer> readExit(Depot.ProcessDir dir) {
        try {
            return Optional.of(Integer.parseInt(Files.readString(dir.exit()).strip()));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            // written by rename, so a present file is complete; anything else is not ours
            LOG.warn("unreadable exit file in {}: {}", dir.dir(), e.toString());
            return Optional.of(LOST_EXIT);
        }
    }

    /** Something in the directory changed (or a watcher tick): wake readers, pick up the exit status. */
    private void onChange() {
        lock.lock();
        try {
            changes++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (exit.isDone()) return;
        Optional<Integer> code = readExit(dir);
        if (code.isEmpty() && monitorGone()) {
            code = readExit(dir); // the monitor renames exit before it exits: read again after seeing it gone
            if (code.isEmpty()) {
                LOG.error("process {} lost its monitor (pid {}): its exit status is unknown, reporting {}", id, monitorPid, LOST_EXIT);
                code = Optional.of(LOST_EXIT);
            }
        }
        code.ifPresent(c -> {
            if (exit.complete(c)) {
                closeWatch();
                lock.lock();
                try {
                    changes++;
                    changed.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        });
    }

    /** Only a monitor we have adopted can be gone: during the start its pid is not known yet. */
    private boolean monitorGone() {
        return adopted && monitor.map(h -> !h.isAlive() || table.goneOrZombie(h.pid())).orElse(true);
    }

    private void closeWatch() {
        try {
            watch.close();
        } catch (Exception e) {
            // the key is cancelled either way
        }
    }

    @Override
    public String id() {
        return id;
    }

    Depot.ProcessDir dir() {
        return dir;
    }

    /**
     * The host pid of a process whose monitor was killed: it may still run, unwatched, with its exit status
     * unobservable. The container decides whether that pid is still one of its own before killing it.
     */
    java.util.OptionalLong orphan() {
        return orphaned && pid > 0 ? java.util.OptionalLong.of(pid) : java.util.OptionalLong.empty();
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream openStdout() {
        return tail(dir.stdout());
    }

    @Override
    public InputStream openStderr() {
        // under a TTY stderr is merged into stdout by the terminal
        return tty ? InputStream.nullInputStream() : tail(dir.stderr());
    }

    @Override
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    @Override
    public void signal(Signal signal) {
        if (exit.isDone()) return;
        long p = pid > 0 ? pid : readLong(dir.pid());
        if (p <= 0) throw GardenError.internal("process " + id + " has no pid yet");
        pid = p;
        // pid-safe: the monitor reaps the process before it records the exit, so while the process is the
        // monitor's child its pid cannot have been reused; the handle's start time guards the rest
        table.find(p).ifPresent(h -> {
            if (h.parentPid() != monitorPid) return;
            if (signal == Signal.KILL) h.kill();
            else h.terminate();
        });
    }

    @Override
    public void resize(TtySpec size) {
        if (!tty || exit.isDone()) return; // without a terminal there is no window
        TtySpec.WindowSize w = OciProcessBuilder.window(size);
        try {
            // the monitor applies TIOCSWINSZ to the master; the kernel sends SIGWINCH to the foreground group
            Fifo.writeLine(dir.ctl(), "resize " + w.rows() + " " + w.columns());
        } catch (IOException e) {
            if (exit.isDone()) return;
            throw GardenError.internal("cannot resize the terminal of " + id + ": " + e.getMessage(), e);
        }
    }

    /** Waits (bounded) until the monitor has exited, so its directory can be deleted without racing its last writes. */
    boolean awaitMonitorGone(Duration timeout) {
        return monitorPid <= 0 || table.awaitGone(List.of(monitorPid), timeout);
    }

    /**
     * Lets go of the process: our stdin writer and the watch. Readers end; an exit status not seen by now is
     * reported as lost. Used when the container is destroyed (its processes are dead by then) or the id is reused.
     */
    @Override
    public void close() {
        closed = true;
        stdin.release();
        closeWatch();
        exit.complete(readExit(dir).orElse(LOST_EXIT));
        lock.lock();
        try {
            changes++;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    private Tail tail(Path file) {
        Tail t = new Tail(file);
        tails.add(t);
        return t;
    }

    /**
     * A reader of {@code file} moved on: release what every open reader of it has consumed, minus {@link #KEEP}.
     * A reader that has not opened the file yet counts as at 0, so nothing is released under a new attacher's feet.
     */
    private void consumed(Path file) {
        // under the lock a new reader takes to find where the data starts: it then sees either this release or,
        // having registered at 0 before the scan, holds it back
        synchronized (released) {
            long slowest = Long.MAX_VALUE;
            for (Tail t : tails) {
                if (t.file.equals(file)) slowest = Math.min(slowest, t.position);
            }
            long from = released.getOrDefault(file, 0L);
            long end = (slowest - KEEP) & ~4095L;
            if (slowest == Long.MAX_VALUE || end - from < RELEASE_STEP) return;
            released.put(file, end);
            try {
                SparseFiles.punchHole(file, from, end - from);
            } catch (IOException e) {
                // the filesystem cannot (or the file is gone): the output simply stays
                LOG.debug("cannot release consumed output of {}: {}", file, e.toString());
            }
        }
    }

    /**
     * Follows one output file by offset until the exit is known and the file is read to its end. It starts where
     * the file's data starts: output that all earlier readers consumed may have been released (see {@link #KEEP}).
     */
    private final class Tail extends InputStream {
        private final Path file;
        private FileChannel channel;
        private volatile long position;
        /** When this reader next checks whether consumed output can be released. */
        private long nextRelease = KEEP + RELEASE_STEP;
        private volatile boolean readerClosed;

        Tail(Path file) {
            this.file = file;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) return 0;
            while (true) {
                if (readerClosed) return -1;
                long seen = changeCount();
                // observed before the read: the monitor completes the files before it records the exit
                boolean ended = exit.isDone() || closed;
                if (channel == null) {
                    try {
                        channel = FileChannel.open(file, StandardOpenOption.READ);
                        synchronized (released) {
                            position = SparseFiles.dataStart(file);
                        }
                    } catch (NoSuchFileException e) {
                        if (channel != null) channel.close();
                        channel = null;
                        if (ended) return -1;
                    }
                }
                if (channel != null) {
                    int n = channel.read(ByteBuffer.wrap(b, off, len), position);
                    if (n > 0) {
                        position += n;
                        if (position >= nextRelease) {
                            consumed(file);
                            nextRelease = position + RELEASE_STEP;
                        }
                        return n;
                    }
                }
                if (ended) return -1;
                awaitChange(seen);
            }
        }

        private void awaitChange(long seen) {
            lock.lock();
            try {
                if (changes == seen && !readerClosed) {
                    changed.await(READ_WAIT.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                readerClosed = true;
            } finally {
                lock.unlock();
            }
        }

        @Override
        public void close() throws IOException {
            readerClosed = true;
            tails.remove(this);
            lock.lock();
            try {
                changed.signalAll();
            } finally {
                lock.unlock();
            }
            if (channel != null) channel.close();
        }
    }

    private long changeCount() {
        lock.lock();
        try {
            return changes;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The process's stdin through the {@code stdin} FIFO. Our writer is opened lazily and without blocking; closing
     * it is not EOF for the process (the monitor holds a writer so that a daemon crash does not end stdin), so
     * Garden's stdin EOF also tells the monitor {@code close-stdin}. Writes after the process stopped reading are
     * discarded, as the SPI requires.
     */
    private final class Stdin extends OutputStream {
        private Fifo fifo;
        private boolean gone;
        private boolean eof;

        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public synchronized void write(byte[] b, int off, int len) {
            if (gone || eof || len == 0) return;
            try {
                if (fifo == null) {
                    Optional<Fifo> f = Fifo.openWriter(dir.stdin());
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
            if (exit.isDone()) return;
            try {
                Fifo.writeLine(dir.ctl(), "close-stdin");
            } catch (IOException e) {
                // the monitor is gone, and with it the process's stdin
            }
        }

        synchronized void release() {
            if (fifo != null) {
                fifo.close();
                fifo = null;
            }
        }
    }
}
