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
 *   <li>{@code trap} — like sleep, but TERM makes it exit 42 (a shell trap)</li>
 *   <li>a path containing {@code missing} — {@link ExecutableNotFoundException}</li>
 * </ul>
 */
public final class FakeProcess implements BackendProcess {

    private final String id;
    private final String path;
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
    }

    static FakeProcess start(ProcessSpec spec) {
        if (spec.path().contains("missing")) {
            throw new ExecutableNotFoundException("exec: \"" + spec.path() + "\": executable file not found in $PATH");
        }
        FakeProcess p = new FakeProcess(spec);
        List<String> args = spec.args();
        switch (spec.path()) {
            case "echo" -> {
                p.stdout.append((String.join(" ", args) + "\n").getBytes(StandardCharsets.UTF_8));
                p.finish(0);
            }
            case "emit" -> {
                p.stdout.append(args.get(0).getBytes(StandardCharsets.UTF_8));
                p.stderr.append(args.get(1).getBytes(StandardCharsets.UTF_8));
                p.finish(Integer.parseInt(args.get(2)));
            }
            case "cat" -> p.startScript(List.of("cat"));
            case "sh" -> p.startScript(List.of((args.size() > 1 ? args.get(1) : "").split(";")));
            case "sleep", "trap" -> { }
            default -> p.finish(0);
        }
        return p;
    }

    private void startScript(List<String> commands) {
        synchronized (script) {
            for (String c : commands.stream().map(String::strip).filter(c -> !c.isEmpty()).toList()) {
                if (!c.equals("cat") && !c.startsWith("echo ") && !c.matches("exit \\d+")) {
                    throw new IllegalArgumentException("the fake sh knows cat, echo and exit, not: " + c);
                }
                script.add(c);
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
                (toStderr ? stderr : stdout).append((words + "\n").getBytes(StandardCharsets.UTF_8));
            } else {
                finish(Integer.parseInt(c.substring(5)));
                return;
            }
        }
        finish(0);
    }

    private void finish(int code) {
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
