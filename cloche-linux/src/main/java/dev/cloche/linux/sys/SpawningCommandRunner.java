package dev.cloche.linux.sys;

import dev.cloche.api.GardenError;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real {@link CommandRunner}: declared host programs and absolute paths by posix_spawn ({@link PosixSpawn}), other
 * commands (tests' own) through {@link ProcessBuilder}; streaming children ({@link #start}) through ProcessBuilder.
 */
final class SpawningCommandRunner implements CommandRunner {
    private static final File DEV_NULL = new File("/dev/null");
    private final Duration timeout;
    private final boolean declaredOnly;

    /** @param declaredOnly refuse programs missing from {@link HostProgram}: always, but for tests' own commands */
    SpawningCommandRunner(Duration timeout, boolean declaredOnly) {
        this.timeout = timeout;
        this.declaredOnly = declaredOnly;
    }

    private void requireDeclared(List<String> argv) {
        if (declaredOnly) HostProgram.requireDeclared(argv);
    }

    /** Where declared programs are installed, found once: a spawn by absolute path skips the PATH search. */
    private static final java.util.Map<String, java.util.Optional<Path>> LOCATED = new java.util.concurrent.ConcurrentHashMap<>();

    /** argv with its program as an absolute path, or empty if it is neither absolute nor a declared program found here. */
    private static java.util.Optional<List<String>> absolute(List<String> argv) {
        String program = argv.getFirst();
        if (program.startsWith("/")) return java.util.Optional.of(argv);
        return LOCATED.computeIfAbsent(program, p -> HostProgram.byCommand(p).flatMap(HostProgram::locate)).map(path -> {
            List<String> a = new ArrayList<>(argv);
            a.set(0, path.toString());
            return a;
        });
    }

    /**
     * Output goes to files, not pipes: {@code runc create} hands its stdio to the container's init, which keeps them
     * open for the container's lifetime, so reading a pipe to EOF would never return. Programs with an absolute path,
     * or declared and found here, are spawned with posix_spawn ({@link PosixSpawn#runToFiles}); others (tests' own
     * commands) through {@link ProcessBuilder}.
     */
    @Override
    public CommandResult run(List<String> argv) {
        requireDeclared(argv);
        Path out = null;
        Path err = null;
        try {
            out = Files.createTempFile(CommandScratch.dir(), "cmd", ".out");
            err = Files.createTempFile(CommandScratch.dir(), "cmd", ".err");
            java.util.Optional<List<String>> spawnable = absolute(argv);
            if (spawnable.isPresent()) {
                // posix_spawn directly: ProcessBuilder's jspawnhelper and reaper cost about 3 ms per command here
                int code = PosixSpawn.runToFiles(spawnable.get(), out, err, timeout);
                return new CommandResult(code, Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
            }
            java.lang.Process p = new ProcessBuilder(argv).redirectInput(DEV_NULL)
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                killWithDescendants(p);
                throw new CommandTimedOut(argv, timeout);
            }
            return new CommandResult(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw GardenError.internal("cannot run " + argv.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw GardenError.internal("interrupted while running " + argv.getFirst(), e);
        } finally {
            for (Path p : new Path[] {out, err}) {
                if (p != null) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        // a temp file left behind is harmless
                    }
                }
            }
        }
    }

    @Override
    public CommandResult runPiped(List<String> argv) {
        requireDeclared(argv);
        java.util.Optional<List<String>> spawnable = absolute(argv);
        if (spawnable.isPresent()) {
            // every process start comes here (cloche-monitor): spawned directly, without jspawnhelper
            try {
                return PosixSpawn.run(spawnable.get(), timeout);
            } catch (IOException e) {
                throw GardenError.internal("cannot run " + argv.getFirst() + ": " + e.getMessage(), e);
            }
        }
        try {
            java.lang.Process p = new ProcessBuilder(argv).redirectInput(DEV_NULL).start();
            // stderr on its own thread: a child that fills one pipe while we wait on the other would deadlock
            java.util.concurrent.CompletableFuture<byte[]> err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (var in = p.getErrorStream()) {
                    return in.readAllBytes();
                } catch (IOException e) {
                    return new byte[0];
                }
            }, Thread::startVirtualThread);
            byte[] out;
            try (var in = p.getInputStream()) {
                out = in.readAllBytes();
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                killWithDescendants(p);
                throw new CommandTimedOut(argv, timeout);
            }
            return new CommandResult(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err.join(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw GardenError.internal("cannot run " + argv.getFirst() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw GardenError.internal("interrupted while running " + argv.getFirst(), e);
        }
    }

    @Override
    public CommandRunner withTimeout(Duration bound) {
        return new SpawningCommandRunner(bound, declaredOnly);
    }

    /**
     * A hung command's whole tree, children first so none escapes to init between the two kills: a runtime that hangs
     * may have forked its {@code init} or a helper that would hold the container's state or the output files open.
     */
    private static void killWithDescendants(java.lang.Process p) {
        p.toHandle().descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public java.lang.Process start(List<String> argv) {
        requireDeclared(argv);
        try {
            return new ProcessBuilder(argv).start();
        } catch (IOException e) {
            throw GardenError.internal("cannot start " + argv.getFirst() + ": " + e.getMessage(), e);
        }
    }
}
