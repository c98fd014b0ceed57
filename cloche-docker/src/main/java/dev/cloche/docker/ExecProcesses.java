package dev.cloche.docker;

import com.github.dockerjava.api.command.InspectExecResponse;
import com.github.dockerjava.api.exception.NotFoundException;
import dev.cloche.api.ExecutableNotFoundException;
import dev.cloche.api.GardenError;
import dev.cloche.api.ProcessSpec;
import dev.cloche.api.ResourceLimits;
import dev.cloche.api.Signal;
import dev.cloche.api.TtySpec;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * A container's processes, as engine execs: started with a hijacked connection, followed for their status, signalled
 * at their host pid and resized through the engine. Each keeps a directory ({@code <state>/<n>/}: {@code id},
 * {@code exec}, {@code stdout}, {@code stderr}, {@code exit}) for what the engine forgets or cannot replay.
 */
final class ExecProcesses {
    private final ContainerCalls calls;
    private final Engine engine;
    private final HostSignals signals;
    private final Path state;
    private final Map<String, DockerProcess> processes = new LinkedHashMap<>();
    private final AtomicLong sequence;

    ExecProcesses(ContainerCalls calls, HostSignals signals, Path state, long nextSequence) {
        this.calls = calls;
        this.engine = calls.engine();
        this.signals = signals;
        this.state = state;
        this.sequence = new AtomicLong(nextSequence);
    }

    DockerProcess run(ProcessSpec spec) {
        calls.live();
        if (!spec.rlimits().equals(ResourceLimits.NONE)) throw DockerContainer.unsupported("per-process rlimits");
        if (spec.limits().isPresent()) throw DockerContainer.unsupported("per-process cpu and memory limits");
        String executable = findExecutable(spec);
        boolean tty = spec.tty().isPresent();
        List<String> cmd = new ArrayList<>();
        Optional<TtySpec.WindowSize> window = spec.tty().flatMap(TtySpec::windowSize).or(() -> tty
                ? Optional.of(new TtySpec.WindowSize(80, 24)) : Optional.empty());
        if (window.isPresent()) {
            // API 1.41 has no console size at exec start, and a resize only reaches a running exec: the window is
            // set by the shell before the program starts, so a program that reads it at once sees the right one
            cmd.addAll(List.of("/bin/sh", "-c", "stty rows " + window.get().rows() + " cols " + window.get().columns()
                    + " 2>/dev/null; exec \"$0\" \"$@\""));
        }
        cmd.add(executable);
        cmd.addAll(spec.args());
        var create = engine.client().execCreateCmd(calls.containerId()).withCmd(cmd.toArray(String[]::new))
                .withAttachStdin(true).withAttachStdout(true).withAttachStderr(true).withTty(tty)
                .withEnv(spec.env());
        if (!spec.dir().isEmpty()) create.withWorkingDir(spec.dir());
        if (!spec.user().isEmpty()) create.withUser(spec.user());
        String execId = calls.call(create::exec).getId();
        Path dir = state.resolve(Long.toString(sequence.getAndIncrement()));
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("id"), spec.id());
            Files.writeString(dir.resolve("exec"), execId);
            OutputFile out = OutputFile.create(dir.resolve("stdout"));
            OutputFile err = OutputFile.create(dir.resolve("stderr"));
            CompletableFuture<Integer> exit = new CompletableFuture<>();
            OutputStream stdin = ExecSession.start(engine, execId, tty, dir, out, err, exit, () -> exitCode(execId));
            if (tty) err.end();
            awaitStarted(execId, exit);
            DockerProcess p = new DockerProcess(spec.id(), execId, out, err, stdin, exit, control());
            keep(List.of(p));
            return p;
        } catch (IOException e) {
            throw GardenError.internal("could not keep process " + spec.id() + " in " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The path the exec will run, checked in the container first: the engine reports a missing one only as output. */
    private String findExecutable(ProcessSpec spec) {
        String path = spec.path();
        if (path.contains("/")) {
            String absolute = path.startsWith("/") ? path : (spec.dir().isEmpty() ? "/" : spec.dir()) + "/" + path;
            if (calls.call(() -> engine.exists(calls.containerId(), absolute))) return path;
            throw new ExecutableNotFoundException("executable not found in the container: " + path);
        }
        for (String dir : searchPath(spec)) {
            String candidate = dir + "/" + path;
            if (calls.call(() -> engine.exists(calls.containerId(), candidate))) return path;
        }
        throw new ExecutableNotFoundException("executable not found in $PATH of the container: " + path);
    }

    private List<String> searchPath(ProcessSpec spec) {
        Stream<String> env = Stream.concat(spec.env().stream(), containerEnv().stream());
        String value = env.filter(e -> e.startsWith("PATH=")).findFirst().map(e -> e.substring(5))
                .orElse("/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        return Stream.of(value.split(":")).filter(d -> !d.isEmpty()).toList();
    }

    private List<String> containerEnv() {
        String[] env = calls.call(() -> engine.client().inspectContainerCmd(calls.containerId()).exec()).getConfig().getEnv();
        return env == null ? List.of() : List.of(env);
    }

    /**
     * Returns once the engine reports the exec's pid (or its exit), as the Linux backend returns once the process
     * started: a signal or a stop right after run then reaches the program, not a start still in progress.
     */
    private void awaitStarted(String execId, CompletableFuture<Integer> exit) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!exit.isDone() && System.nanoTime() < deadline) {
            InspectExecResponse r = calls.call(() -> engine.client().inspectExecCmd(execId).exec());
            if (r.getPidLong() != null && r.getPidLong() > 0) return;
            if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) return;
            try {
                Thread.sleep(2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private long exitCode(String execId) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (true) {
            try {
                InspectExecResponse r = engine.client().inspectExecCmd(execId).exec();
                if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) return r.getExitCodeLong();
            } catch (NotFoundException e) {
                return 255; // the container went away with the exec: its status is unknowable
            } catch (RuntimeException e) {
                if (System.nanoTime() > deadline) return 255;
            }
            if (System.nanoTime() > deadline) return 255;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return 255;
            }
        }
    }

    private DockerProcess.ProcessControl control() {
        return new DockerProcess.ProcessControl() {
            @Override
            public void signal(String execId, Signal signal) {
                if (!engine.local()) throw DockerContainer.unsupported("signals on a remote engine (they go to the exec's host pid)");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
                while (true) {
                    InspectExecResponse r;
                    try {
                        r = engine.client().inspectExecCmd(execId).exec();
                    } catch (NotFoundException e) {
                        return; // gone with its container
                    }
                    if (!Boolean.TRUE.equals(r.isRunning()) && r.getExitCodeLong() != null) return;
                    Long pid = r.getPidLong();
                    if (pid != null && pid > 0) {
                        long started = signals.startTime(pid);
                        if (started >= 0) signals.signal(pid, started, signal == Signal.KILL);
                        return;
                    }
                    if (System.nanoTime() > deadline) throw GardenError.internal("exec " + execId + " has no pid to signal");
                    Thread.onSpinWait();
                }
            }

            @Override
            public void resize(String execId, TtySpec tty) {
                tty.windowSize().ifPresent(w -> {
                    try {
                        engine.client().resizeExecCmd(execId).withSize(w.rows(), w.columns()).exec();
                    } catch (RuntimeException e) {
                        // an exec that has just exited cannot be resized, which is no failure
                    }
                });
            }
        };
    }

    /** A process from before a restart, signalled as any other; its stdin is gone with its connection. */
    DockerProcess restored(String id, String execId, OutputFile out, OutputFile err, CompletableFuture<Integer> exit) {
        return new DockerProcess(id, execId, out, err, DockerProcess.detachedStdin(id), exit, control());
    }

    /** Keeps processes under their ids, in start order; a later one with an id replaces the earlier. */
    void keep(List<DockerProcess> started) {
        synchronized (processes) {
            for (DockerProcess p : started) {
                processes.remove(p.id());
                processes.put(p.id(), p);
            }
        }
    }

    Optional<DockerProcess> get(String processId) {
        synchronized (processes) {
            return Optional.ofNullable(processes.get(processId));
        }
    }

    List<String> ids() {
        synchronized (processes) {
            return List.copyOf(processes.keySet());
        }
    }

    /** Waits until every process has its status, after the container stopped (which ends every exec). */
    void awaitAllEnded() {
        List<DockerProcess> all;
        synchronized (processes) {
            all = List.copyOf(processes.values());
        }
        for (DockerProcess p : all) {
            try {
                p.exit().get(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                throw GardenError.internal("process " + p.id() + " did not end after the container stopped", e);
            }
        }
    }
}
