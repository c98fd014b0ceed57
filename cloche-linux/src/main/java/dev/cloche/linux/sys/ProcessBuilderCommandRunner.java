package dev.cloche.linux.sys;

import dev.cloche.api.GardenError;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

final class ProcessBuilderCommandRunner implements CommandRunner {
    private final Duration timeout;

    ProcessBuilderCommandRunner(Duration timeout) {
        this.timeout = timeout;
    }

    @Override
    public CommandResult run(List<String> argv) {
        java.lang.Process p = start(argv);
        try {
            p.getOutputStream().close();
            // stderr is drained on its own thread so a chatty command cannot block on a full pipe
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            Thread errPump = Thread.ofVirtual().start(() -> copy(p.getErrorStream(), err));
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw GardenError.internal(String.join(" ", argv) + " timed out after " + timeout);
            }
            errPump.join();
            return new CommandResult(p.exitValue(), new String(out, StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw GardenError.internal("reading output of " + argv.getFirst() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw GardenError.internal("interrupted while running " + argv.getFirst(), e);
        }
    }

    @Override
    public java.lang.Process start(List<String> argv) {
        try {
            return new ProcessBuilder(argv).start();
        } catch (IOException e) {
            throw GardenError.internal("cannot start " + argv.getFirst() + ": " + e.getMessage(), e);
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
