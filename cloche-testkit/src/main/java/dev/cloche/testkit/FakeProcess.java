package dev.cloche.testkit;

import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.spi.BackendProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A scripted process. The spec's {@code path} picks the behaviour:
 * <ul>
 *   <li>{@code echo a b} — prints "a b\n", exits 0</li>
 *   <li>{@code emit OUT ERR CODE} — prints OUT to stdout, ERR to stderr, exits CODE</li>
 *   <li>{@code cat} — copies stdin to stdout until stdin is closed, exits 0</li>
 *   <li>{@code sh -c SCRIPT} — a toy shell: {@code ;}-separated {@code cat}, {@code echo WORDS},
 *       {@code echo WORDS >&2} and {@code exit CODE}; exits 0 at the end of the script. Garden's recorded Go
 *       traffic runs {@code sh -c 'cat; echo err >&2; exit 3'}, so the fake must understand that much.</li>
 *   <li>{@code sleep} — runs until signalled: 128+signo</li>
 *   <li>{@code busy} — like sleep, and counts as using a CPU and 1 MiB of memory while it runs ({@link FakeContainer#metrics})</li>
 *   <li>{@code trap} — like sleep, but TERM makes it exit 42 (a shell trap)</li>
 *   <li>{@code seq FIRST LAST} — prints the numbers FIRST to LAST, one per line, exits 0</li>
 *   <li>{@code stty size} — under a TTY prints the window as "ROWS COLUMNS" (80x24 by default), exits 0; else fails</li>
 *   <li>a path containing {@code missing} — {@link ExecutableNotFoundException}</li>
 * </ul>
 * Under a TTY, as on a terminal, stderr goes to stdout and every line ends in CR LF.
 */
public final class FakeProcess implements BackendProcess {

    private final String id;
    private final String path;
    private final boolean tty;
    private final long startedNanos = System.nanoTime();
    private volatile long endedNanos;
    private final OutputBuffer stdout = new OutputBuffer();
    private final OutputBuffer stderr = new OutputBuffer();
    private final CompletableFuture<Integer> exit = new CompletableFuture<>();
    private final List<TtySpec> resizes = new CopyOnWriteArrayList<>();
    private final StringBuilder stdinBytes = new StringBuilder();
    /** The script commands not run yet; a running {@code cat} waits for stdin's end before the next one. */
    private final Deque<String> script = new ArrayDeque<>();
    private boolean copyingStdin;
    private final OutputStream stdin = new OutputStream() {
        @Override
        public void write(int b) {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            if (exit.isDone()) {
                return;
            }
            byte[] chunk = java.util.Arrays.copyOfRange(b, off, off + len);
            synchronized (stdinBytes) {
                stdinBytes.append(new String(chunk, StandardCharsets.UTF_8));
            }
            synchronized (script) {
                if (copyingStdin) {
                    stdout.append(chunk);
                }
            }
        }

        @Override
        public void close() {
            synchronized (script) {
                if (copyingStdin && !exit.isDone()) {
                    copyingStdin = false;
                    runScript();
                }
            }
        }
    };

    private FakeProcess(ProcessSpec spec) {
        this.id = spec.id();
        this.path = spec.path();
        this.tty = spec.tty().isPresent();
    }

    static FakeProcess start(ProcessSpec spec) {
        if (spec.path().contains("missing")) {
            throw new ExecutableNotFoundException("exec: \"" + spec.path() + "\": executable file not found in $PATH");
        }
        FakeProcess p = new FakeProcess(spec);
        try {
            p.begin(spec);
        } catch (IndexOutOfBoundsException | NumberFormatException e) {
            // a fake command given arguments it cannot use fails as a real one would: usage on stderr, status 2
            p.err(spec.path() + ": bad arguments\n");
            p.finish(2);
        }
        return p;
    }

    private void begin(ProcessSpec spec) {
        FakeProcess p = this;
        List<String> args = spec.args();
        switch (spec.path()) {
            case "echo" -> {
                p.out(String.join(" ", args) + "\n");
                p.finish(0);
            }
            case "emit" -> {
                p.out(args.get(0));
                p.err(args.get(1));
                p.finish(Integer.parseInt(args.get(2)));
            }
            case "cat" -> p.startScript(List.of("cat"));
            case "sh" -> p.startScript(List.of((args.size() > 1 ? args.get(1) : "").split(";")));
            case "seq" -> {
                StringBuilder lines = new StringBuilder();
                long from = Long.parseLong(args.get(0));
                long to = Math.min(Long.parseLong(args.get(1)), from + 10_000_000); // the fake holds output in memory
                for (long i = from; i <= to; i++) lines.append(i).append('\n');
                p.out(lines.toString());
                p.finish(0);
            }
            case "stty" -> {
                if (spec.tty().isPresent() && args.equals(List.of("size"))) {
                    TtySpec.WindowSize w = spec.tty().get().windowSize().filter(s -> s.columns() > 0 && s.rows() > 0)
                            .orElse(new TtySpec.WindowSize(80, 24));
                    p.out(w.rows() + " " + w.columns() + "\n");
                    p.finish(0);
                } else {
                    p.err("stty: standard input: Not a tty\n");
                    p.finish(1);
                }
            }
            case "sleep", "busy", "trap" -> { }
            default -> p.finish(0);
        }
    }

    private static final String NOT_FOUND = "\0not found: ";
    /** The status of the script's last command, as sh exits with it. Guarded by {@code script}. */
    private int status;

    private void startScript(List<String> commands) {
        synchronized (script) {
            for (String c : commands.stream().map(String::strip).filter(c -> !c.isEmpty()).toList()) {
                // what the fake sh does not know fails as a real sh's unknown command does (127), so that a
                // client's arbitrary script (the fuzzer's, say) gets a process, not an internal error
                script.add(c.equals("cat") || c.startsWith("echo ") || c.matches("exit \\d{1,3}") ? c : NOT_FOUND + c);
            }
            runScript();
        }
    }

    /** Runs commands until a {@code cat} (resumed when stdin closes), an {@code exit} or the end. Holds {@code script}. */
    private void runScript() {
        while (!script.isEmpty()) {
            String c = script.poll();
            if (c.equals("cat")) {
                copyingStdin = true;
                return;
            } else if (c.startsWith("echo ")) {
                boolean toStderr = c.endsWith(">&2");
                String words = (toStderr ? c.substring(0, c.length() - 3) : c).substring(5).strip();
                // straight to the streams, without the TTY emulation: the recorded Go backend had no terminal
                (toStderr ? stderr : stdout).append((words + "\n").getBytes(StandardCharsets.UTF_8));
            } else if (c.startsWith(NOT_FOUND)) {
                stderr.append(("sh: " + c.substring(NOT_FOUND.length()) + ": not found\n").getBytes(StandardCharsets.UTF_8));
                status = 127;
                continue;
            } else {
                finish(Integer.parseInt(c.substring(5)) & 0xff);
                return;
            }
            status = 0;
        }
        finish(status);
    }

    private void out(String text) {
        stdout.append((tty ? text.replace("\n", "\r\n") : text).getBytes(StandardCharsets.UTF_8));
    }

    private void err(String text) {
        if (tty) {
            out(text);
        } else {
            stderr.append(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** CPU time a {@code busy} process has used: all of its life so far; other processes use none. */
    long cpuNanos() {
        if (!path.equals("busy")) return 0;
        long end = endedNanos;
        return Math.max(1, (end == 0 ? System.nanoTime() : end) - startedNanos);
    }

    /** Memory a process holds: 1 MiB while a {@code busy} one runs. */
    long memoryBytes() {
        return path.equals("busy") && !exit.isDone() ? 1L << 20 : 0;
    }

    private void finish(int code) {
        endedNanos = System.nanoTime();
        stdout.close();
        stderr.close();
        exit.complete(code);
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
        return stdout.reader();
    }

    @Override
    public InputStream openStderr() {
        return stderr.reader();
    }

    @Override
    public CompletableFuture<Integer> exit() {
        return exit;
    }

    @Override
    public void signal(Signal signal) {
        if (exit.isDone()) {
            return;
        }
        finish(path.equals("trap") && signal == Signal.TERMINATE ? 42 : 128 + signal.signo());
    }

    @Override
    public void resize(TtySpec tty) {
        resizes.add(tty);
    }

    public List<TtySpec> resizes() {
        return List.copyOf(resizes);
    }

    /** Output readers ({@link #openStdout}, {@link #openStderr}) not closed yet. */
    public int openOutputReaders() {
        return stdout.openReaders() + stderr.openReaders();
    }

    /** Everything written to stdin so far, as text. */
    public String stdinText() {
        synchronized (stdinBytes) {
            return stdinBytes.toString();
        }
    }
}
