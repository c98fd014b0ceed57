package dev.cloche.testkit;

import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import dev.cloche.spi.BackendProcess;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A scripted process. The spec's {@code path} picks the behaviour:
 * <ul>
 *   <li>{@code echo a b} — prints "a b\n", exits 0</li>
 *   <li>{@code emit OUT ERR CODE} — prints OUT to stdout, ERR to stderr, exits CODE</li>
 *   <li>{@code cat} — copies stdin to stdout until stdin is closed, exits 0</li>
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
            if (path.equals("cat")) {
                stdout.append(chunk);
            }
        }

        @Override
        public void close() {
            if (path.equals("cat")) {
                finish(0);
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
            case "cat", "sleep", "trap" -> { }
            default -> p.finish(0);
        }
        return p;
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

    /** Everything written to stdin so far, as text. */
    public String stdinText() {
        synchronized (stdinBytes) {
            return stdinBytes.toString();
        }
    }
}
