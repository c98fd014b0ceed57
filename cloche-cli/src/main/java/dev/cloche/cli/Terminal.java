package dev.cloche.cli;

import dev.cloche.api.TtySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * The caller's terminal in raw mode for an interactive process, restored on close. Uses {@code stty} on
 * {@code /dev/tty} (the JDK has no termios API) and {@code SIGWINCH} (jdk.unsupported's sun.misc.Signal) to
 * notice resizes.
 */
final class Terminal implements AutoCloseable {
    private final String saved;
    private boolean closed;

    private Terminal(String saved) {
        this.saved = saved;
    }

    /** Raw mode if stdin is a terminal, else empty (piped input stays as it is). */
    static Optional<Terminal> raw() {
        if (System.console() == null) {
            return Optional.empty();
        }
        String saved = stty("-g").strip();
        stty("raw", "-echo");
        return Optional.of(new Terminal(saved));
    }

    /** Whether stdout is a terminal (a person watching), not a pipe or a file. */
    static boolean isStdout() {
        java.io.Console console = System.console();
        return console != null && console.isTerminal();
    }

    /** The terminal's size, or 80x24 when it cannot be read. */
    static TtySpec size() {
        try {
            String[] rc = stty("size").strip().split("\\s+");
            return TtySpec.of(Integer.parseInt(rc[1]), Integer.parseInt(rc[0]));
        } catch (RuntimeException e) {
            return TtySpec.of(80, 24);
        }
    }

    /** Calls {@code onResize} with the new size on every SIGWINCH. */
    static void onResize(java.util.function.Consumer<TtySpec> onResize) {
        try {
            sun.misc.Signal.handle(new sun.misc.Signal("WINCH"), s -> onResize.accept(size()));
        } catch (IllegalArgumentException noSuchSignal) {
            // not on Linux: the size stays as it was at start
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            stty(saved);
        }
    }

    private static String stty(String... args) {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "stty";
        System.arraycopy(args, 0, cmd, 1, args.length);
        try {
            Process p = new ProcessBuilder(cmd).redirectInput(new java.io.File("/dev/tty")).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.waitFor() != 0) {
                throw new IllegalStateException("stty " + String.join(" ", args) + " failed");
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("stty: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
