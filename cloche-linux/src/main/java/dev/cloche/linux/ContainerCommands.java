package dev.cloche.linux;

import dev.cloche.api.GardenError;
import dev.cloche.linux.fs.ContainerFiles;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.oci.Bundle;
import dev.cloche.linux.oci.BundleJson;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.linux.oci.OciProcess;
import dev.cloche.linux.oci.OciRuntime;
import dev.cloche.linux.oci.SessionKeyring;
import dev.cloche.linux.sys.ProcessTable;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The backend's own commands inside one container (mkdir, tar), run through the runtime with piped stdio: in a
 * running container through {@code runtime exec}; the stream tar of a stopped one (its init is gone, so exec is
 * impossible) as a one-shot second runtime container on the same bundle (docs/files.md §2), so the root (still
 * mounted), mounts, user namespace and capabilities are the container's, and its cgroup sits under the container's.
 */
final class ContainerCommands {
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final ContainerFiles.User ROOT = new ContainerFiles.User("root", 0, 0, "/root");

    private final ContainerIdentity container;
    private final Depot.Entry entry;
    private final ContainerStatus status;
    private final OciProcessBuilder processes;
    private final OciRuntime runtime;
    private final ProcessTable table;
    private final AtomicLong seq = new AtomicLong();

    ContainerCommands(ContainerIdentity container, Depot.Entry entry, ContainerStatus status, OciProcessBuilder processes,
                      OciRuntime runtime, ProcessTable table) {
        this.container = container;
        this.entry = entry;
        this.status = status;
        this.processes = processes;
        this.runtime = runtime;
        this.table = table;
    }

    /**
     * Guardian creates a missing working directory (e.g. a home that does not exist) owned by the user. It is made
     * inside the container's mount namespace, so symlinks in the path cannot point it at the host.
     */
    void createWorkingDir(String cwd, ContainerFiles.User user) {
        String tool = BundleRules.TOOL_PATH;
        java.lang.Process child = exec(ROOT, List.of(tool, "sh", "-c",
                tool + " mkdir -p \"$1\" && " + tool + " chown \"$2\" \"$1\"", "sh", cwd, user.uid() + ":" + user.gid()));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Thread errPump = Thread.ofVirtual().start(() -> drain(child.getErrorStream(), err));
        Thread outPump = Thread.ofVirtual().start(() -> drain(child.getInputStream(), OutputStream.nullOutputStream()));
        try {
            child.getOutputStream().close();
        } catch (IOException e) {
            // stdin unused
        }
        if (await(child, errPump, outPump) != 0) {
            throw GardenError.internal("cannot create working directory " + cwd + ": " + err.toString(StandardCharsets.UTF_8).strip());
        }
    }

    /** Runs {@code args} inside the running container as {@code user} through {@code runtime exec}, with piped stdio. */
    private java.lang.Process exec(ContainerFiles.User user, List<String> args) {
        status.requireExists();
        OciProcess p = processes.command(args, user);
        try {
            Depot.ExecFiles files = entry.exec(seq.incrementAndGet());
            Files.createDirectories(files.helpers());
            Files.writeString(files.processJson(), BundleJson.process(p));
            java.lang.Process child = runtime.exec(container.id(), files.processJson(), files.pid());
            // the runtime has read the spec once it exits; until then both files must stay
            child.onExit().thenRun(() -> {
                try {
                    Files.deleteIfExists(files.processJson());
                    Files.deleteIfExists(files.pid());
                } catch (IOException e) {
                    // removed with the depot entry at the latest
                }
            });
            return child;
        } catch (IOException e) {
            throw GardenError.internal("cannot start helper in " + container.handle(), e);
        }
    }

    /** Starts a tar as {@code user} running {@code args}; stderr is collected for the error message. */
    Tar startTar(ContainerFiles.User user, List<String> args) {
        status.requireExists();
        OciProcess p = processes.command(args, user);
        long n = seq.incrementAndGet();
        Depot.TarFiles files = entry.tar(n);
        try {
            Files.createDirectories(files.dir());
            java.lang.Process child;
            Optional<String> oneShot;
            if (status.stopped()) {
                String runId = container.id() + "-t" + n;
                Bundle bundle = BundleJson.read(Files.readString(entry.config()));
                Files.writeString(files.config(), BundleJson.config(BundleRules.oneShot(bundle,
                        new BundleRules.OneShot(p, container.group() + "/tar-" + n))));
                child = runtime.run(runId, files.dir(), SessionKeyring.of(container.privileged()));
                oneShot = Optional.of(runId);
            } else {
                Files.writeString(files.processJson(), BundleJson.process(p));
                child = runtime.exec(container.id(), files.processJson(), files.pid());
                oneShot = Optional.empty();
            }
            return new Tar(child, files, oneShot);
        } catch (IOException | RuntimeException e) {
            Trees.deleteRecursively(files.dir());
            throw GardenError.internal("cannot start tar in container " + container.id() + ": " + e.getMessage(), e);
        }
    }

    private static int await(java.lang.Process child, Thread... pumps) {
        try {
            int code = child.waitFor();
            for (Thread t : pumps) t.join();
            return code;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            child.destroyForcibly();
            throw GardenError.internal("interrupted while streaming");
        }
    }

    private static void drain(InputStream in, OutputStream out) {
        try (in) {
            in.transferTo(out);
        } catch (IOException e) {
            // the command ended
        }
    }

    /** One running tar. {@link #close()} kills it if still running and removes everything it left. */
    final class Tar implements AutoCloseable {
        private final java.lang.Process child;
        private final Depot.TarFiles files;
        private final Optional<String> oneShot;
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final Thread errPump;
        private boolean closed;

        private Tar(java.lang.Process child, Depot.TarFiles files, Optional<String> oneShot) {
            this.child = child;
            this.files = files;
            this.oneShot = oneShot;
            this.errPump = Thread.ofVirtual().start(() -> drain(child.getErrorStream(), err));
        }

        OutputStream stdin() {
            return child.getOutputStream();
        }

        InputStream stdout() {
            return child.getInputStream();
        }

        /** Waits for the tar (and the runtime around it) to exit; its status. */
        int await() {
            try {
                int code = child.waitFor();
                errPump.join();
                return code;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
                throw GardenError.internal("interrupted while streaming");
            }
        }

        /** What tar and the runtime wrote to stderr, trimmed. */
        String stderr() {
            synchronized (err) {
                return err.toString(StandardCharsets.UTF_8).strip();
            }
        }

        /** Stops the tar now: it must not act on anything still in its pipe. */
        void kill() {
            if (oneShot.isPresent()) {
                runtime.kill(oneShot.get(), "KILL", true);
            } else {
                // runc exec is the tar's parent and reaps it, so its pid is stable while runc lives
                long pid = Depot.readPid(files.pid());
                if (pid > 0 && child.isAlive()) table.find(pid).ifPresent(ProcessTable.Handle::kill);
            }
            try {
                child.getOutputStream().close();
            } catch (IOException e) {
                // already closed
            }
            try {
                if (!child.waitFor(KILL_WAIT.toMillis(), TimeUnit.MILLISECONDS)) child.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                child.destroyForcibly();
            }
        }

        @Override
        public synchronized void close() {
            if (closed) return;
            closed = true;
            if (child.isAlive()) kill();
            try {
                child.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            // runc run deletes its container on a normal exit; after a kill it may still be there
            oneShot.ifPresent(runId -> {
                if (runtime.state(runId).isPresent()) {
                    runtime.kill(runId, "KILL", true);
                    runtime.state(runId).filter(s -> s.pid() > 0)
                            .ifPresent(s -> table.awaitGone(List.of(s.pid()), KILL_WAIT));
                    runtime.delete(runId);
                }
            });
            Trees.deleteRecursively(files.dir());
        }
    }
}
