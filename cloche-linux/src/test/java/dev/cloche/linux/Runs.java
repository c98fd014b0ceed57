package dev.cloche.linux;

import dev.cloche.api.ProcessSpec;
import dev.cloche.spi.BackendContainer;
import dev.cloche.spi.BackendProcess;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs a process to its end for the backend ITs: exit status and all of its output, with bounded waits. */
final class Runs {
    private static final AtomicInteger SEQ = new AtomicInteger();

    record Result(int exit, String stdout, String stderr) {}

    private Runs() {}

    static Result run(BackendContainer c, String... argv) {
        return run(c, ProcessSpec.of(argv[0], List.of(argv).subList(1, argv.length).toArray(String[]::new)));
    }

    /** The spec's own id is replaced by a fresh one. */
    static Result run(BackendContainer c, ProcessSpec spec) {
        BackendProcess p = c.run(spec.withId("run-" + SEQ.incrementAndGet()));
        CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> readAll(p.openStdout()));
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> readAll(p.openStderr()));
        try {
            int code = p.exit().get(60, TimeUnit.SECONDS);
            return new Result(code, out.get(30, TimeUnit.SECONDS), err.get(30, TimeUnit.SECONDS));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String readAll(InputStream in) {
        try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
