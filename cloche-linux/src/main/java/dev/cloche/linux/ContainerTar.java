package dev.cloche.linux;

import dev.cloche.api.GardenError;
import dev.cloche.linux.fs.Trees;
import dev.cloche.linux.oci.Bundle;
import dev.cloche.linux.oci.BundleJson;
import dev.cloche.linux.oci.BundleRules;
import dev.cloche.linux.oci.OciProcess;
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
import java.util.concurrent.atomic.AtomicLong;

/**
 * Runs the stream-in/out tar inside a container (docs/files.md §2): in a running container through
 * {@code runtime exec}, in a stopped one (its init is gone, so exec is impossible) as a one-shot second runtime
 * container on the same bundle: the container's own config.json with the process replaced, so the root (still
 * mounted), mounts, user namespace and capabilities are the container's; its cgroup sits under the container's.
 */
final class ContainerTar {
    private static final Duration KILL_WAIT = Duration.ofSeconds(10);

    private final LinuxBackend.Parts parts;
    private final String id;
    private final Depot.Entry entry;
    private final String group;
    private final AtomicLong seq;

    ContainerTar(LinuxBackend.Parts parts, String id, Depot.Entry entry, String group, AtomicLong seq) {
        this.parts = parts;
        this.id = id;
        this.entry = entry;
        this.group = group;
        this.seq = seq;
    }

    /** Starts {@code p} with piped stdio; stderr is collected for the error message. */
    Helper start(OciProcess p, boolean stopped) {
        long n = seq.incrementAndGet();
        Depot.TarFiles files = entry.tar(n);
        try {
            Files.createDirectories(files.dir());
            java.lang.Process child;
            Optional<String> oneShot;
            if (stopped) {
                String runId = id + "-t" + n;
                Bundle container = BundleJson.read(Files.readString(entry.config()));
                Files.writeString(files.config(), BundleJson.config(BundleRules.oneShot(container,
                        new BundleRules.OneShot(p, group + "/tar-" + n))));
                child = parts.runtime().run(runId, files.dir());
                oneShot = Optional.of(runId);
            } else {
                Files.writeString(files.processJson(), BundleJson.process(p));
                child = parts.runtime().exec(id, files.processJson(), files.pid());
                oneShot = Optional.empty();
            }
            return new Helper(child, files, oneShot);
        } catch (IOException | RuntimeException e) {
            Trees.deleteRecursively(files.dir());
            throw GardenError.internal("cannot start tar in container " + id + ": " + e.getMessage(), e);
        }
    }

    /** One running tar. {@link #close()} kills it if still running and removes everything it left. */
    final class Helper implements AutoCloseable {
        private final java.lang.Process child;
        private final Depot.TarFiles files;
        private final Optional<String> oneShot;
        private final ByteArrayOutputStream err = new ByteArrayOutputStream();
        private final Thread errPump;
        private boolean closed;

        private Helper(java.lang.Process child, Depot.TarFiles files, Optional<String> oneShot) {
            this.child = child;
            this.files = files;
            this.oneShot = oneShot;
            this.errPump = Thread.ofVirtual().start(() -> {
                try (InputStream in = child.getErrorStream()) {
                    in.transferTo(err);
                } catch (IOException e) {
                    // the helper ended
                }
            });
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
                parts.runtime().kill(oneShot.get(), "KILL", true);
            } else {
                // runc exec is the tar's parent and reaps it, so its pid is stable while runc lives
                readPid().filter(pid -> child.isAlive()).flatMap(parts.processes()::find).ifPresent(ProcessTable.Handle::kill);
            }
            try {
                child.getOutputStream().close();
            } catch (IOException e) {
                // already closed
            }
            try {
                if (!child.waitFor(KILL_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)) child.destroyForcibly();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                child.destroyForcibly();
            }
        }

        private Optional<Long> readPid() {
            try {
                return Optional.of(Long.parseLong(Files.readString(files.pid()).strip()));
            } catch (IOException | NumberFormatException e) {
                return Optional.empty();
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
                if (parts.runtime().state(runId).isPresent()) {
                    parts.runtime().kill(runId, "KILL", true);
                    parts.runtime().state(runId).filter(s -> s.pid() > 0)
                            .ifPresent(s -> parts.processes().awaitGone(List.of(s.pid()), KILL_WAIT));
                    parts.runtime().delete(runId);
                }
            });
            Trees.deleteRecursively(files.dir());
        }
    }
}
